package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the install package holds, read with {@code tar} as a hospital's administrator would: the product's jars and
 * nothing of the benchmarks (their module, JMH and JMH's own dependencies stay in the source checkout). Runs in
 * {@code integration-test}, after {@code package}.
 */
class PackageContentsIT {

    /** The product's own modules: every one must be in lib/. */
    private static final List<String> PRODUCT_JARS = List.of("fedmil-proto-", "fedmil-core-", "fedmil-audit-",
            "fedmil-secagg-", "fedmil-privacy-", "fedmil-mil-", "fedmil-datasets-", "fedmil-protocol-",
            "fedmil-coordinator-", "fedmil-site-agent-", "fedmil-deploy-");

    /** The benchmarks' jars: none may be in lib/. JMH brings jopt-simple and commons-math3. */
    private static final List<String> BENCHMARK_JARS = List.of("fedmil-bench-", "jmh-", "jopt-simple-",
            "commons-math3-");

    @TempDir
    static Path tmp;

    private static Path tarball;
    private static List<String> listing;

    @BeforeAll
    static void list() throws Exception {
        assumeTrue(System.getProperty("fedmil.tarball") != null, "runs in integration-test, after package");
        tarball = Path.of(System.getProperty("fedmil.tarball"));
        assertThat(tarball).as("the package; build it with `mvn package`").isRegularFile();
        listing = tar("tzf", tarball.toAbsolutePath().toString()).lines().toList();
    }

    private static String tar(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private static List<String> libJars() {
        String lib = "fedmil/lib/";
        return listing.stream().filter(e -> e.startsWith(lib) && e.endsWith(".jar"))
                .map(e -> e.substring(lib.length())).sorted().toList();
    }

    @Test
    void libHoldsEveryProductModuleAndTheLauncherConfigsUnitsAndDocsAreThere() {
        List<String> jars = libJars();
        for (String product : PRODUCT_JARS) {
            assertThat(jars).as("lib/ of " + tarball).anyMatch(j -> j.startsWith(product));
        }
        String root = "fedmil/";
        assertThat(listing).contains(root + "bin/fedmil", root + "conf/site.yaml", root + "conf/coordinator.yaml",
                root + "systemd/fedmil-site.service", root + "docs/site-guide.md", root + "README.md");
    }

    /** `tar xzf fedmil-<version>.tar.gz -C /opt` gives /opt/fedmil, the path the guides, the units and the kits use. */
    @Test
    void thePackageUnpacksToAFolderNamedFedmil() {
        assertThat(listing).isNotEmpty().allMatch(e -> e.startsWith("fedmil/"), "starts with fedmil/");
        assertThat(tarball.getFileName().toString()).isEqualTo("fedmil-" + System.getProperty("fedmil.version")
                + ".tar.gz");
    }

    /**
     * No jar in lib/ is signed: the JVM verifies a signed jar on first use (a second per command on a loaded host)
     * and keeps its classes out of the cds-archive. BouncyCastle's, the only signed ones, lose their signature files.
     */
    @Test
    void noJarInLibIsSignedAndBouncyCastleIsStillThere() throws Exception {
        Path unpacked = Files.createDirectories(tmp.resolve("unsigned"));
        tar("xzf", tarball.toAbsolutePath().toString(), "-C", unpacked.toString());
        List<String> signed = new ArrayList<>();
        try (Stream<Path> jars = Files.list(unpacked.resolve("fedmil/lib"))) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                try (JarFile j = new JarFile(jar.toFile())) {
                    j.stream().map(JarEntry::getName).filter(n -> n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)"))
                            .forEach(n -> signed.add(jar.getFileName() + "!" + n));
                }
            }
        }
        assertThat(signed).as("signature files in lib/").isEmpty();
        assertThat(libJars()).anyMatch(j -> j.startsWith("bcprov-jdk18on-")).anyMatch(j -> j.startsWith("bcpkix-jdk18on-"));
    }

    @Test
    void libHoldsNoBenchmarkOrJmhJar() {
        List<String> jars = libJars();
        assertThat(jars).isNotEmpty();
        for (String bench : BENCHMARK_JARS) {
            assertThat(jars).as("lib/ of " + tarball).noneMatch(j -> j.startsWith(bench));
        }
    }

    @Test
    void noJarInLibCarriesBenchmarkClassesOrJmh() throws Exception {
        Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
        tar("xzf", tarball.toAbsolutePath().toString(), "-C", unpacked.toString());
        Path lib = unpacked.resolve("fedmil").resolve("lib");
        List<String> offending = new ArrayList<>();
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                offending.addAll(benchmarkEntries(jar));
            }
        }
        assertThat(offending).as("benchmark code in the install package").isEmpty();
    }

    private static List<String> benchmarkEntries(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.stream().map(JarEntry::getName)
                    .filter(n -> n.startsWith("org/fedmil/bench/") || n.startsWith("org/openjdk/jmh/")
                            || n.equals("META-INF/BenchmarkList")
                            || n.equals("META-INF/services/org.fedmil.cli.ExtraCommand"))
                    .map(n -> jar.getFileName() + "!" + n).toList();
        }
    }
}
