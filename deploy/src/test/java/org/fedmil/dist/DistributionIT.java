package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package {@code mvn package} built, unpacked as a hospital would: its launcher run by a process whose
 * environment holds nothing but a Java runtime on the PATH (no Maven, no JAVA_HOME, not in the source tree), its
 * sample configs loaded by the real config classes, its systemd units checked by systemd, and the site guide's
 * "Installing from the package" steps (PKI, coordinator, {@code site check}) run with its launcher.
 * Runs in {@code integration-test}, after {@code package}.
 */
class DistributionIT {

    @TempDir
    static Path tmp;

    private static Path home;
    /** A folder holding only a link to this JVM's java: the whole PATH of the processes started here. */
    private static Path jreOnly;

    @BeforeAll
    static void unpack() throws Exception {
        // set by the integration-test execution only; a -Dtest=... run also offers this class to the test phase
        assumeTrue(System.getProperty("fedmil.tarball") != null, "runs in integration-test, after package");
        Path tarball = Path.of(System.getProperty("fedmil.tarball"));
        assertThat(tarball).as("the package; build it with `mvn package` (this test runs after it in `mvn verify`)")
                .isRegularFile();
        Path install = Files.createDirectories(tmp.resolve("opt"));
        Process tar = new ProcessBuilder("tar", "xzf", tarball.toAbsolutePath().toString(), "-C", install.toString())
                .inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        home = install.resolve("fedmil");
        jreOnly = Files.createDirectories(tmp.resolve("jre-bin"));
        Files.createSymbolicLink(jreOnly.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    private record Result(int rc, String out) {
    }

    private static Map<String, String> onlyJavaOnThePath() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", jreOnly.toString());
        // keep the engine to one thread on the shared CI machine
        env.put("FEDMIL_JAVA_OPTS", "-Xmx1g -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1");
        return env;
    }

    private static ProcessBuilder launcher(Map<String, String> env, Path cwd, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/fedmil").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb;
    }

    private static Result run(Map<String, String> env, Path cwd, String... args) throws Exception {
        Process p = launcher(env, cwd, List.of(args)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    private static Result fedmil(Path cwd, String... args) throws Exception {
        return run(onlyJavaOnThePath(), cwd, args);
    }

    @Test
    void helpWorksWithOnlyAJavaRuntimeOnThePathAndListsEveryRolesCommands() throws Exception {
        Result help = fedmil(tmp, "--help");

        assertThat(help.rc()).as(help.out()).isZero();
        assertThat(help.out()).contains("Usage: fedmil");
        for (String command : List.of("pki", "coordinator", "site", "audit", "data", "demo", "bench")) {
            assertThat(help.out()).containsPattern("(?m)^  " + command + " ");
        }
    }

    @Test
    void benchInTheInstallPackageSaysBenchmarksAreRunFromASourceCheckout() throws Exception {
        Result bench = fedmil(tmp, "bench", "perf", "--only", "aggregation");

        assertThat(bench.rc()).as(bench.out()).isEqualTo(2);
        assertThat(bench.out()).contains("not part of the install package", "source checkout", "./fedmil bench");
    }

    @Test
    void pkiHelpListsItsSubcommands() throws Exception {
        Result help = fedmil(tmp, "pki", "--help");

        assertThat(help.rc()).as(help.out()).isZero();
        assertThat(help.out()).contains("Usage: fedmil pki").containsPattern("(?m)^  init ")
                .containsPattern("(?m)^  issue ");
    }

    @Test
    void withoutAnyJavaTheLauncherSaysWhatToInstallAndExits127() throws Exception {
        Result r = run(Map.of("PATH", tmp.resolve("empty").toString()), tmp, "--help");

        assertThat(r.rc()).isEqualTo(127);
        assertThat(r.out()).contains("fedmil: no Java runtime found").contains("set JAVA_HOME");
    }

    @Test
    void javaHomeIsUsedWhenSetAndTheVersionIsThePackages() throws Exception {
        Result r = run(Map.of("PATH", tmp.resolve("empty").toString(), "JAVA_HOME", System.getProperty("java.home")),
                tmp, "--version");

        assertThat(r.rc()).as(r.out()).isZero();
        assertThat(r.out()).contains("fedmil " + System.getProperty("fedmil.version"));
    }

    @Test
    void aJavaHomeWithoutJavaIsNamed() throws Exception {
        Result r = run(Map.of("PATH", jreOnly.toString(), "JAVA_HOME", tmp.toString()), tmp, "--help");

        assertThat(r.rc()).isEqualTo(127);
        assertThat(r.out()).contains("JAVA_HOME is " + tmp).contains("is not an executable");
    }

    @Test
    void aLauncherLinkedFromElsewhereFindsItsPackage() throws Exception {
        Path usrLocalBin = Files.createDirectories(tmp.resolve("usr-local-bin"));
        Path link = Files.createSymbolicLink(usrLocalBin.resolve("fedmil"), home.resolve("bin/fedmil"));
        // readlink comes from coreutils, as on any hospital server
        ProcessBuilder pb = new ProcessBuilder(link.toString(), "--version").redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", jreOnly + ":/usr/bin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void thePackageHoldsTheLauncherEveryJarUnshadedTheSampleConfigsTheUnitsAndTheDocs() throws Exception {
        assertThat(home.resolve("bin/fedmil")).isExecutable();
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            List<String> names = jars.map(j -> j.getFileName().toString()).sorted().toList();
            try (Stream<Path> built = Files.list(Path.of("target/fedmil/lib"))) {
                assertThat(names).containsExactlyElementsOf(built.map(j -> j.getFileName().toString())
                        .filter(n -> n.endsWith(".jar")).sorted().toList());
            }
            assertThat(names).anyMatch(n -> n.startsWith("pytorch-native-cpu-") && n.endsWith("-linux-x86_64.jar"))
                    .anyMatch(n -> n.startsWith("fedmil-deploy-"));
        }
        for (String f : List.of("conf/coordinator.yaml", "conf/site.yaml", "systemd/fedmil-coordinator.service",
                "systemd/fedmil-site.service", "docs/site-guide.md", "docs/configuration.md", "README.md")) {
            assertThat(home.resolve(f)).isRegularFile();
        }
    }

    /** The sample configs' paths are the operator's to fill in; with them pointing at real files, both load. */
    @Test
    void theSampleConfigsLoadWithTheRealConfigClassesOnceThePathsAreFilledIn() throws Exception {
        Path pem = Files.writeString(tmp.resolve("placeholder.pem"), "only existence is checked when loading");
        Path folder = Files.createDirectories(tmp.resolve("a-folder"));

        Path coordinatorYaml = home.resolve("conf/coordinator.yaml");
        ConfigOverrides coordinatorPaths = ConfigOverrides.none().set("tls.cert", pem, "test").set("tls.key", pem, "test")
                .set("tls.ca", pem, "test").set("heldout_dir", folder, "test");
        CoordinatorConfig c = ConfigFiles.read(coordinatorYaml, CoordinatorConfig.class, coordinatorPaths)
                .resolvedAgainst(coordinatorYaml);
        assertThat(c.listen().port()).isEqualTo(7443);
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/fedmil-coordinator/state"));

        Path siteYaml = home.resolve("conf/site.yaml");
        SiteConfig s = SiteConfig.load(siteYaml, ConfigOverrides.none().set("tls.cert", pem, "test")
                .set("tls.key", pem, "test").set("tls.ca", pem, "test").set("data_dir", folder, "test"));
        assertThat(s.coordinator().port()).isEqualTo(7443);
        assertThat(s.stateDir()).isEqualTo(Path.of("/var/lib/fedmil-site/state"));
    }

    @Test
    void theSystemdUnitsAreValidForSystemd() throws Exception {
        assumeTrue(Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").anyMatch(p -> Files.isExecutable(Path.of(p))),
                "systemd-analyze is not installed here; the unit files were not checked");
        Path units = Files.createDirectories(tmp.resolve("units"));
        for (String unit : List.of("fedmil-coordinator.service", "fedmil-site.service")) {
            // as installed: ExecStart names the launcher in the package's place
            String text = Files.readString(home.resolve("systemd").resolve(unit))
                    .replace("/opt/fedmil/bin/fedmil", home.resolve("bin/fedmil").toString());
            Files.writeString(units.resolve(unit), text);
        }
        Process p = new ProcessBuilder("systemd-analyze", "verify", units.resolve("fedmil-coordinator.service").toString(),
                units.resolve("fedmil-site.service").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).as("systemd's complaints about the units").doesNotContain("fedmil-");
    }

    /**
     * The site guide's "Installing from the package", on one machine: the operator's PKI, a coordinator from the
     * sample config, and the site's sample config filled in and checked with {@code site check}.
     */
    @Test
    void theGuidesInstallStepsEndInASiteCheckThatPassesAgainstARunningCoordinator() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("install"));
        for (String[] step : List.of(
                new String[] {"pki", "init", "--dir", "pki", "--name", "Test consortium"},
                new String[] {"pki", "issue", "coordinator", "--dir", "pki", "--host", "localhost"},
                new String[] {"pki", "issue", "site", "hospital-a", "--dir", "pki"},
                new String[] {"data", "synth", "--out", "data", "--sites", "1", "--bags-per-site", "24",
                        "--heldout-bags", "20"})) {
            Result r = fedmil(work, step);
            assertThat(r.rc()).as(String.join(" ", step) + "\n" + r.out()).isZero();
        }
        // the operator's edits of the sample coordinator.yaml: its certificate folder
        Files.writeString(work.resolve("coordinator.yaml"), Files.readString(home.resolve("conf/coordinator.yaml"))
                .replace("/etc/fedmil/coordinator/", work.resolve("pki/coordinator") + "/"));
        // the hospital's edits of the sample site.yaml: the folder the operator sent
        Files.writeString(work.resolve("site.yaml"), Files.readString(home.resolve("conf/site.yaml"))
                .replace("/etc/fedmil/site/", work.resolve("pki/sites/hospital-a") + "/"));

        Path console = work.resolve("coordinator.log");
        Process coordinator = launcher(onlyJavaOnThePath(), work, List.of("coordinator", "--config", "coordinator.yaml",
                "--port", "0", "--host", "127.0.0.1", "--state-dir", "state", "--heldout-dir", "data/heldout"))
                .redirectOutput(console.toFile()).start();
        try {
            int port = listeningPort(coordinator, console);

            Result check = fedmil(work, "site", "check", "--config", "site.yaml", "--coordinator", "localhost:" + port,
                    "--data-dir", "data/site-1", "--state-dir", "site-state");

            System.out.println("site check from the package:\n" + check.out());
            assertThat(check.rc()).as(check.out()).isZero();
            assertThat(check.out()).contains("PASS  coordinator  localhost:" + port + " answered over mutual TLS")
                    .contains("PASS  data ").contains("site check: all passed");
        } finally {
            coordinator.destroy();
            if (!coordinator.waitFor(30, TimeUnit.SECONDS)) {
                coordinator.destroyForcibly();
            }
        }
    }

    /**
     * The site guide's walk-through, from kits: the operator writes a coordinator kit and a site kit (as a .tar.gz),
     * the hospital unpacks its kit with tar, fills in data_dir, the one line marked FILL IN, and runs {@code site
     * check} with the kit's site.yaml against a coordinator started from its own kit.
     */
    @Test
    void aSiteKitUnpackedWithTarAndItsDataDirFilledInPassesSiteCheckAgainstACoordinatorFromItsKit() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("kits-walk-through"));
        for (String[] step : List.of(
                new String[] {"pki", "init", "--dir", "pki", "--name", "Kit consortium"},
                new String[] {"pki", "kit", "coordinator", "--dir", "pki", "--federation-id", "kit-test",
                        "--host", "localhost"},
                new String[] {"pki", "kit", "site", "hospital-a", "--dir", "pki", "--tar"},
                new String[] {"data", "synth", "--out", "data", "--sites", "1", "--bags-per-site", "24",
                        "--heldout-bags", "20"})) {
            Result r = fedmil(work, step);
            assertThat(r.rc()).as(String.join(" ", step) + "\n" + r.out()).isZero();
        }
        Path hospital = Files.createDirectories(work.resolve("hospital"));
        Process untar = new ProcessBuilder("tar", "xzf", work.resolve("kits/site-hospital-a.tar.gz").toString(), "-C",
                hospital.toString()).inheritIO().start();
        assertThat(untar.waitFor()).isZero();
        Path siteYaml = hospital.resolve("site-hospital-a/site.yaml");
        assertThat(Files.getPosixFilePermissions(hospital.resolve("site-hospital-a/key.pem")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(siteYaml, Files.readString(siteYaml).replace("FILL-IN-the-folder-holding-bags.csv",
                work.resolve("data/site-1").toString()));

        Path console = work.resolve("coordinator.log");
        Process coordinator = launcher(onlyJavaOnThePath(), work, List.of("coordinator", "--config",
                "kits/coordinator/coordinator.yaml", "--port", "0", "--host", "127.0.0.1", "--state-dir", "state",
                "--heldout-dir", "data/heldout")).redirectOutput(console.toFile()).start();
        try {
            int port = listeningPort(coordinator, console);

            Result check = fedmil(hospital, "site", "check", "--config", siteYaml.toString(), "--coordinator",
                    "localhost:" + port, "--state-dir", "site-state");

            assertThat(check.rc()).as(check.out()).isZero();
            assertThat(check.out()).contains("PASS  coordinator  localhost:" + port + " answered over mutual TLS")
                    .contains("site check: all passed");
        } finally {
            coordinator.destroy();
            if (!coordinator.waitFor(30, TimeUnit.SECONDS)) {
                coordinator.destroyForcibly();
            }
        }
    }

    /** `fedmil cds-archive` writes lib/fedmil.jsa and the launcher's JVM maps classes from it from then on. */
    @Test
    void cdsArchiveWritesTheArchiveAndTheLauncherStartsFromIt() throws Exception {
        Result written = fedmil(tmp, "cds-archive");
        assertThat(written.rc()).as(written.out()).isZero();
        assertThat(written.out()).contains("Wrote " + home.resolve("lib/fedmil.jsa"));
        assertThat(home.resolve("lib/fedmil.jsa")).isRegularFile();

        Map<String, String> env = onlyJavaOnThePath();
        env.put("FEDMIL_JAVA_OPTS", "-Xmx1g -Xlog:class+load=info");
        Result version = run(env, tmp, "--version");

        assertThat(version.rc()).as(version.out()).isZero();
        assertThat(version.out()).contains("fedmil " + System.getProperty("fedmil.version"))
                .contains("org.fedmil.cli.Fedmil source: shared objects file (top)");
    }

    /**
     * An archive the JVM rejects (another Java wrote it, a damaged file, a moved package) is ignored without a word:
     * the launcher runs as without one. A package whose lib/ links to this one's jars, with a damaged archive.
     */
    @Test
    void anArchiveTheJvmRejectsIsIgnoredSilently() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("damaged-archive/fedmil"));
        Files.createDirectories(copy.resolve("bin"));
        Files.copy(home.resolve("bin/fedmil"), copy.resolve("bin/fedmil"));
        Path lib = Files.createDirectories(copy.resolve("lib"));
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
            }
        }
        Files.write(lib.resolve("fedmil.jsa"), new byte[4096]);
        ProcessBuilder pb = new ProcessBuilder(copy.resolve("bin/fedmil").toString(), "--version")
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(onlyJavaOnThePath());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out.strip()).isEqualTo("fedmil " + System.getProperty("fedmil.version") + "\nJava "
                + System.getProperty("java.version"));
    }

    /**
     * Waits until the coordinator's console (a file) says where it listens; fails with the console when the process
     * exits first or does not get there within 5 minutes (a loaded CI machine is slow, but not that slow).
     */
    private static int listeningPort(Process coordinator, Path console) throws Exception {
        Pattern listening = Pattern.compile("listening on \\S+:(\\d+) \\(mutual TLS\\)");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            String text = Files.exists(console) ? Files.readString(console) : "";
            Matcher m = listening.matcher(text);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!coordinator.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the coordinator " + (coordinator.isAlive() ? "did not listen within 5 minutes"
                        : "exited with " + coordinator.exitValue()) + "; its console:\n" + text);
            }
            // the coordinator's first output comes after it evaluated the initial model: poll, nothing to wait on
            coordinator.waitFor(200, TimeUnit.MILLISECONDS);
        }
    }
}
