package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.cli.Fedmil;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real coordinator on loopback (mutual TLS) and real site agents in the states an operator needs the tools for:
 * a revoked site, a site whose data the model cannot read, a coordinator that stays down, a paused federation.
 * Each agent stops with its own exit code and a sentence saying why, or says what it waits for, once.
 */
class SiteAbnormalStatesIT {

    private record Run(int exit, String console) {
    }

    /** Runs a real agent until it exits (at most {@code limit}); its exit code and console. */
    private static Run agent(SiteConfig config, Duration limit) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = pool.submit(() -> {
                try (SiteAgent agent = new SiteAgent(config, new PrintStream(console, true, StandardCharsets.UTF_8))) {
                    return agent.run();
                }
            });
            return new Run(exit.get(limit.toSeconds(), TimeUnit.SECONDS), console.toString(StandardCharsets.UTF_8));
        } finally {
            pool.shutdownNow();
        }
    }

    private static String fedmil(String... args) {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = Fedmil.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int rc = cl.execute(args);
        return rc + "\n" + out;
    }

    private static SiteConfig withConnectTimeout(SiteConfig c, int seconds) {
        return new SiteConfig(c.coordinator(), c.tls(), c.dataDir(), c.device(), c.pollWaitMs(), seconds,
                c.stateDir(), c.augmentation(), c.policy(), c.validation());
    }

    @Test
    void aRevokedSitesAgentIsRefusedAtItsFirstCallAfterARestartAndExitsFourWithTheCertificateAndWhatToDo(
            @TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 2, 20, 20)) {
            PartyCredentials alice = fed.ca.issueAdmin("alice", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            PartyCredentials site = fed.site("site-2");
            String revoked = fedmil("admin", "revoke", "site-2", "--reason", "key on a shared drive",
                    "--coordinator", "localhost:" + fed.coordinator.port(), "--credentials", alice.dir().toString());
            assertThat(revoked).startsWith("0\n");
            fed.restartCoordinator();

            long t0 = System.nanoTime();
            Run run = agent(withConnectTimeout(fed.siteConfig("site-2", site), 60), Duration.ofSeconds(50));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);

            assertThat(run.exit()).as(run.console()).isEqualTo(SiteAgent.REFUSED);
            assertThat(seconds).as("refused at once, not after connect_timeout_seconds of retries").isLessThan(20);
            String serial = org.fedmil.pki.PemFiles.readCertificate(site.cert()).getSerialNumber().toString(16);
            assertThat(run.console()).contains("site site-2 refused by the coordinator: site 'site-2' has been revoked "
                    + "by the consortium operator (certificate CN=site-2, serial " + serial + ")")
                    .contains("Contact the consortium operator");
            assertThat(fed.coordinator.run().joinedSites()).doesNotContain("site-2");
        }
    }

    @Test
    void aSiteRevokedWhileItsAgentRunsStopsWithExitFourWithoutTryingToJoinAgain(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 2, 20, 20)) {
            PartyCredentials alice = fed.ca.issueAdmin("alice", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                // site-2 alone: it joins and waits for the second site, polling
                Future<Integer> exit = pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(withConnectTimeout(fed.siteConfig("site-2",
                            fed.site("site-2")), 60), new PrintStream(console, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!fed.coordinator.run().joinedSites().contains("site-2") && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                assertThat(fed.coordinator.run().joinedSites()).contains("site-2");

                String revoked = fedmil("admin", "revoke", "site-2", "--reason", "laptop stolen", "--coordinator",
                        "localhost:" + fed.coordinator.port(), "--credentials", alice.dir().toString());
                assertThat(revoked).startsWith("0\n");

                int code = exit.get(45, TimeUnit.SECONDS);
                String printed = console.toString(StandardCharsets.UTF_8);
                assertThat(code).as(printed).isEqualTo(SiteAgent.REFUSED);
                assertThat(printed).contains("has been revoked by the consortium operator")
                        .doesNotContain("joining again");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aSiteWhoseFeatureWidthDiffersIsRefusedBySiteCheckAndAtJoinNamingBothWidths(@TempDir Path dir)
            throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 2, 20, 20)) {
            SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(20, 4).withDim(16)
                    .withSeed(3)).writeTo(dir.resolve("narrow"));
            SiteConfig good = fed.siteConfig("site-1", fed.site("site-1"));
            SiteConfig narrow = new SiteConfig(good.coordinator(), good.tls(), dir.resolve("narrow/site-1"),
                    good.device(), good.pollWaitMs(), 30, good.stateDir(), null).resolvedAgainst(
                    dir.resolve("narrow.yaml"));
            int width = SyntheticMilData.Config.defaults().dim();

            Path yaml = dir.resolve("narrow-site.yaml");
            Files.writeString(yaml, """
                    coordinator:
                      host: localhost
                      port: %d
                    tls:
                      cert: %s
                      key: %s
                      ca: %s
                    data_dir: %s
                    state_dir: %s
                    """.formatted(fed.coordinator.port(), good.tls().cert(), good.tls().key(), good.tls().ca(),
                    dir.resolve("narrow/site-1"), dir.resolve("check-state")));
            String check = fedmil("site", "check", "--config", yaml.toString());
            assertThat(check).startsWith("1\n");
            assertThat(check.lines().filter(l -> l.startsWith("FAIL  admission")).findFirst()).hasValueSatisfying(
                    l -> assertThat(l).contains("expects " + width + " features per instance, but the site's bags "
                            + "have 16"));
            assertThat(check).containsPattern("PASS +coordinator");
            assertThat(fed.coordinator.run().joinedSites()).as("a check joins no one").isEmpty();

            Run run = agent(narrow, Duration.ofSeconds(60));

            assertThat(run.exit()).as(run.console()).isEqualTo(SiteAgent.REFUSED);
            assertThat(run.console()).contains("site site-1 not admitted by the coordinator: site 'site-1' was not "
                    + "admitted").contains("expects " + width + " features per instance, but the site's bags have 16");
            assertThat(fed.coordinator.run().joinedSites()).isEmpty();
        }
    }

    @Test
    void anAgentWhoseCoordinatorStaysDownLogsOneLinePerRetryWithoutStackTracesAndStopsAtConnectTimeout(
            @TempDir Path dir) throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        // min_sites 2 and one site: the agent joins and polls, then its coordinator goes away (closed here, once)
        TestFederation fed = new TestFederation(dir, 2, 2, 20, 20);
        {
            SiteConfig config = withConnectTimeout(fed.siteConfig("site-1", fed.site("site-1")), 8);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> exit = pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config,
                            new PrintStream(console, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
                await().atMost(Duration.ofSeconds(60)).until(() -> fed.coordinator.run().isJoined("site-1"));
                root.addAppender(logged);
                fed.coordinator.close();

                int code = exit.get(60, TimeUnit.SECONDS);
                String out = console.toString(StandardCharsets.UTF_8);
                assertThat(code).as(out).isEqualTo(SiteAgent.UNREACHABLE);
                assertThat(out).containsPattern("site site-1 stopped: cannot reach the coordinator: next task: gave "
                        + "up after \\d+ attempts in \\d+ s \\(connect_timeout_seconds 8\\): nothing accepts "
                        + "connections at localhost:\\d+ \\(connection refused\\)");
            } finally {
                root.detachAppender(logged);
                pool.shutdownNow();
            }
        }
        List<ILoggingEvent> retries = logged.list.stream()
                .filter(e -> e.getLoggerName().equals(Retrying.class.getName()) && e.getLevel() == Level.INFO)
                .toList();
        assertThat(retries).as("one line per retry over 8 s of backoff").hasSizeBetween(2, 40)
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).startsWith("next task: ")
                        .containsPattern("attempt \\d+, next in \\d+\\.\\d s").doesNotContain("\n"))
                .anySatisfy(e -> assertThat(e.getFormattedMessage())
                        .contains("next task: nothing accepts connections at localhost:"));
        assertThat(logged.list).as("no stack trace at info level or above while the coordinator is down")
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .allSatisfy(e -> {
                    assertThat(e.getThrowableProxy()).as(e.getFormattedMessage()).isNull();
                    assertThat(e.getFormattedMessage()).doesNotContain("\tat ");
                });
    }

    @Test
    void aPausedFederationIsSaidOnceAtTheSiteAndItsResumeOnce(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 1, 1, 20, 20)) {
            assertThat(fed.coordinator.run().pause()).isTrue();
            SiteConfig config = fed.siteConfig("site-1", fed.site("site-1"));
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> exit = pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config,
                            new PrintStream(console, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        console.toString(StandardCharsets.UTF_8).contains("paused by the operator"));
                // several polls while paused (the coordinator answers WAIT every second or so)
                Thread.sleep(3_000);
                assertThat(fed.coordinator.run().resume()).isTrue();
                assertThat(exit.get(3, TimeUnit.MINUTES)).isZero();
            } finally {
                pool.shutdownNow();
            }
            String out = console.toString(StandardCharsets.UTF_8);
            assertThat(out.lines().filter(l -> l.contains("paused by the operator"))).as(out)
                    .containsExactly("site site-1: paused by the operator; waiting until the federation is resumed");
            assertThat(out.lines().filter(l -> l.contains("resumed by"))).as(out)
                    .containsExactly("site site-1: resumed by the operator");
            assertThat(out.indexOf("paused by the operator")).isLessThan(out.indexOf("resumed by the operator"));
        }
    }

    @Test
    void aSiteWhoseTrainingFailsTellsTheCoordinatorItLeavesSoTheRoundDoesNotWaitForIt(@TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("tiles");
        writeTileSite(data.resolve("site-1"), 8, -1);
        writeTileSite(data.resolve("site-2"), 8, 3); // one tile of bag 3 is not an image: found only when training
        writeTileSite(data.resolve("heldout"), 6, -1);
        // no round deadline: before a failed site said it leaves, the round waited for it for ever
        try (TestFederation fed = new TestFederation(dir, data, 2, 1,
                new org.fedmil.coordinator.config.CoordinatorConfig.Model("attention", "cnn", 8, 8, 8, 1),
                new org.fedmil.coordinator.config.CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null),
                c -> TestFederation.withRules(c, 0, 1, "retry",
                        new org.fedmil.coordinator.config.CoordinatorConfig.Limits(null, null, null)))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                ByteArrayOutputStream broken = new ByteArrayOutputStream();
                SiteConfig good = fed.siteConfig("site-1", fed.site("site-1"));
                SiteConfig bad = fed.siteConfig("site-2", fed.site("site-2"));
                Future<Integer> first = pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(good, new PrintStream(new ByteArrayOutputStream(), true,
                            StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
                Future<Integer> second = pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(bad, new PrintStream(broken, true,
                            StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });

                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> second.get(3, TimeUnit.MINUTES)))
                        .as("the agent whose training failed ends with the failure")
                        .isInstanceOf(java.util.concurrent.ExecutionException.class);
                assertThat(broken.toString(StandardCharsets.UTF_8))
                        .contains("site site-2 failed and leaves the federation: site agent failed: ");
                assertThat(fed.coordinator.run().isJoined("site-2")).isFalse();
                assertThat(fed.coordinator.run().awaitModelVersion(1, Duration.ofMinutes(2)))
                        .as("round 1 closes with site-1's update instead of waiting for site-2").isTrue();
                assertThat(first.get(3, TimeUnit.MINUTES)).isZero();
                assertThat(fed.coordinator.run().history().get(1).sites()).containsExactly("site-1");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A tile site of {@code bags} bags of three 12×12 grey tiles; bag {@code brokenBag}'s first tile is not a PNG. */
    private static void writeTileSite(Path site, int bags, int brokenBag) throws Exception {
        java.util.Random random = new java.util.Random(site.toString().hashCode());
        StringBuilder index = new StringBuilder("bag_id,label\n");
        for (int b = 0; b < bags; b++) {
            String id = "bag-" + b;
            int label = b % 2;
            index.append(id).append(',').append(label).append('\n');
            Path folder = Files.createDirectories(site.resolve("tiles").resolve(id));
            for (int t = 0; t < 3; t++) {
                Path tile = folder.resolve("tile-" + t + ".png");
                if (b == brokenBag && t == 0) {
                    Files.writeString(tile, "not an image");
                    continue;
                }
                java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(12, 12,
                        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 12; y++) {
                    for (int x = 0; x < 12; x++) {
                        image.getRaster().setSample(x, y, 0, random.nextInt(128) + 100 * label);
                    }
                }
                javax.imageio.ImageIO.write(image, "png", tile.toFile());
            }
        }
        Files.writeString(site.resolve("bags.csv"), index.toString());
    }
}
