package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.cli.Fedmil;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A federation set up from startup kits only: the operator runs {@code fedmil pki init} and {@code fedmil pki kit}
 * for the coordinator and three sites; each party's config is the one in its kit, with only the data folder filled
 * in (the sites' data_dir, the coordinator's heldout_dir). The coordinator and the agents then run in this JVM over
 * mutual TLS on loopback, as the other federation tests do. What a hospital would install elsewhere is given on the
 * command line here, as {@code --state-dir} would be: the state folders (the kits name systemd's /var/lib/...), the
 * round count and min_sites (to keep the test short), and the dashboard turned off (a fixed port).
 */
class StartupKitFederationIT {

    private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

    @Test
    void aCoordinatorAndThreeSitesProvisionedFromKitsOnlyRunAFederationToTheEnd(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path data = TestFederation.synthetic(dir, SITES.size(), 40, 40);
        cli(dir, "pki", "init", "--dir", "pki", "--name", "Kit consortium");
        cli(dir, "pki", "kit", "coordinator", "--dir", "pki", "--out", "kits", "--federation-id", "kit-e2e",
                "--host", "localhost", "--port", String.valueOf(port));
        for (String site : SITES) {
            cli(dir, "pki", "kit", "site", site, "--dir", "pki", "--out", "kits", "--tar");
        }

        // the one line each party edits: where its data is
        Path coordinatorYaml = dir.resolve("kits/coordinator/coordinator.yaml");
        fillIn(coordinatorYaml, "FILL-IN-the-folder-holding-the-held-out-bags.csv", data.resolve("heldout"));
        for (int i = 0; i < SITES.size(); i++) {
            fillIn(dir.resolve("kits/site-" + SITES.get(i) + "/site.yaml"), "FILL-IN-the-folder-holding-bags.csv",
                    data.resolve("site-" + (i + 1)));
        }

        CoordinatorConfig config = ConfigFiles.read(coordinatorYaml, CoordinatorConfig.class, ConfigOverrides.none()
                        .set("state_dir", dir.resolve("coordinator-state"), "--state-dir")
                        .set("rounds", 2, "--rounds").set("min_sites", 3, "--min-sites")
                        .set("dashboard.enabled", false, "test"))
                .resolvedAgainst(coordinatorYaml);
        assertThat(config.listen().port()).isEqualTo(port);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Coordinator coordinator = new Coordinator(config, new PrintStream(console, true, StandardCharsets.UTF_8))) {
            coordinator.start();
            List<String> consoles = runSites(dir);

            FederationRun run = coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            List<RoundResult> history = run.history();
            assertThat(history).extracting(RoundResult::round).containsExactly(0, 1, 2);
            for (RoundResult r : history.subList(1, 3)) {
                assertThat(r.sites()).containsExactlyInAnyOrderElementsOf(SITES);
            }
            String coordinatorConsole = console.toString(StandardCharsets.UTF_8);
            assertThat(coordinatorConsole).contains("federation 'kit-e2e'");
            for (int i = 0; i < SITES.size(); i++) {
                assertThat(consoles.get(i)).contains("site " + SITES.get(i) + " round 2: trained");
            }
        }
    }

    /** Runs every site's agent from its kit's site.yaml until each exits; fails on a non-zero exit. */
    private static List<String> runSites(Path dir) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(SITES.size());
        try {
            ExecutorCompletionService<Integer> exits = new ExecutorCompletionService<>(pool);
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            for (String site : SITES) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outs.add(out);
                SiteConfig config = SiteConfig.load(dir.resolve("kits/site-" + site + "/site.yaml"),
                        ConfigOverrides.none().set("state_dir", dir.resolve(site + "-state"), "--state-dir"));
                exits.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
            }
            for (int i = 0; i < SITES.size(); i++) {
                Future<Integer> exit = exits.poll(10, TimeUnit.MINUTES);
                assertThat(exit).as("a site agent finished within 10 minutes").isNotNull();
                assertThat(exit.get()).as("site agent exit code; consoles:\n" + outs).isZero();
            }
            return outs.stream().map(o -> o.toString(StandardCharsets.UTF_8)).toList();
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private static void fillIn(Path yaml, String placeholder, Path folder) throws Exception {
        String text = Files.readString(yaml);
        assertThat(text).as(yaml + " marks the line to fill in").contains(placeholder);
        Files.writeString(yaml, text.replace(placeholder, folder.toString()));
    }

    /** One `fedmil ...` command in this JVM, run in {@code cwd} (the paths given are made absolute against it). */
    private static void cli(Path cwd, String... args) {
        String[] absolute = args.clone();
        for (int i = 1; i < absolute.length; i++) {
            if (List.of("--dir", "--out").contains(absolute[i - 1])) {
                absolute[i] = cwd.resolve(absolute[i]).toString();
            }
        }
        StringWriter out = new StringWriter();
        CommandLine cl = Fedmil.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int rc = cl.execute(absolute);
        assertThat(rc).as(String.join(" ", args) + "\n" + out).isZero();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
