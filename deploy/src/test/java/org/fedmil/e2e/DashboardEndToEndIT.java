package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.dashboard.Dashboard;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard and /metrics of a real federation (2 sites, 3 rounds, mutual TLS on loopback, the dashboard on an
 * ephemeral port). Round 3's uploads are held back until the browser test has looked, so the page is loaded while
 * the federation runs; then the federation finishes and /metrics is scraped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardEndToEndIT {

    private static final int SITES = 2;
    private static final int ROUNDS = 3;
    private static final List<String> NAMES = List.of("site-1", "site-2");

    private TestFederation fed;
    private final HoldRound hold = new HoldRound(ROUNDS);
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    private Future<List<String>> sites;
    private String url;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        fed = new TestFederation(dir, SITES, ROUNDS, 30, 40,
                c -> c.withDashboard(new CoordinatorConfig.Dashboard(true, "127.0.0.1", 0)), hold);
        hold.run = fed.coordinator.run();
        url = fed.coordinator.dashboard().map(Dashboard::url).orElseThrow();
        assertThat(url).startsWith("http://127.0.0.1:");
        assertThat(fed.console()).contains("dashboard on " + url);
        provokeARefusal();
        sites = pool.submit(() -> fed.runSites(NAMES, new SiteConfig.Augmentation(false, false)));
    }

    /** A certified site that never joined uploads a header that does not fit the model: WRONG_TENSORS. */
    private void provokeARefusal() throws Exception {
        CoordinatorClient stranger = new CoordinatorClient("localhost", fed.coordinator.port(),
                TestFederation.tls(fed.site("site-x")));
        try {
            UpdateHeader header = UpdateHeader.newBuilder().setRound(1).setTotalBytes(4)
                    .setDeltaSha256(ByteString.copyFrom(new byte[32])).build();
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stranger.uploadRaw(header, List.of(ByteString.copyFrom(new byte[4]))));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        } finally {
            stranger.close();
        }
    }

    @AfterAll
    void stop() throws Exception {
        hold.release();
        pool.shutdownNow();
        fed.close();
    }

    @Test
    @Order(1)
    void theDashboardRendersInAHeadlessChromiumWhileTheFederationRuns() throws Exception {
        try {
            String chromium = chromium();
            Assumptions.assumeTrue(chromium != null, () -> {
                String reason = "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): "
                        + "skipping the browser test of the dashboard";
                System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + reason);
                return reason;
            });
            FederationRun run = fed.coordinator.run();
            awaitRounds(run, ROUNDS - 1); // rounds 0..2 completed, round 3 held open
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.TRAINING);

            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            Path screenshot = target.resolve("dashboard.png");
            Files.deleteIfExists(screenshot);
            Path profile = Files.createTempDirectory(target, "chromium-profile");
            Proc shot = runChromium(chromium, profile, "--screenshot=" + screenshot, "--window-size=1280,900",
                    "--virtual-time-budget=5000", url);
            assertThat(screenshot).as("chromium's screenshot; its output:\n" + shot.output).exists();
            assertThat(Files.size(screenshot)).isGreaterThan(10_000);
            Proc dump = runChromium(chromium, profile, "--dump-dom", "--virtual-time-budget=5000", url);
            String dom = dump.stdout;
            assertThat(run.phase()).as("the page was loaded while the federation ran")
                    .isEqualTo(FederationRun.Phase.TRAINING);
            System.out.printf("dashboard screenshot %s (%d bytes) at round %d of %d%n", screenshot,
                    Files.size(screenshot), run.currentRound(), ROUNDS);

            assertThat(dom).as("the page's script ran and fetched the live part").contains("data-refreshed=");
            Matcher auc = Pattern.compile("<svg[^>]*id=\"plot-auc\".*?<polyline[^>]*class=\"auc\"[^>]*points=\"([^\"]*)\"",
                    Pattern.DOTALL).matcher(dom);
            assertThat(auc.find()).as("an AUC plot in the DOM:\n" + dom).isTrue();
            assertThat(auc.group(1).trim().split("\\s+")).as("one point per completed round (0..2)").hasSize(ROUNDS);
            Matcher loss = Pattern.compile("<polyline[^>]*class=\"loss\"[^>]*points=\"([^\"]*)\"").matcher(dom);
            assertThat(loss.find()).isTrue();
            assertThat(loss.group(1).trim().split("\\s+")).hasSizeGreaterThanOrEqualTo(2);
            String sitesTable = between(dom, "<table id=\"sites\"", "</table>");
            for (String name : NAMES) {
                assertThat(sitesTable).contains("data-site=\"" + name + "\"");
            }
            // the words of `fedmil admin status`: round 3 is open and its uploads are held, so both are training
            assertThat(Pattern.compile("<tr class=\"site training\"").matcher(sitesTable).results().count())
                    .isEqualTo(SITES);
            assertThat(between(dom, "<table id=\"rounds\"", "</table>")).contains("<td>running</td>");
            assertThat(between(dom, "<table id=\"refusals\"", "</table>")).contains("<td>site-x</td>",
                    "<td>WRONG_TENSORS</td>");
        } finally {
            hold.release();
        }
    }

    @Test
    @Order(0)
    void aPauseIsVisibleInTheApiOnThePageInAHeadlessChromiumAndInTheMetrics() throws Exception {
        FederationRun run = fed.coordinator.run();
        awaitRounds(run, ROUNDS - 1); // round 3 open, its uploads held
        assertThat(run.phase()).isEqualTo(FederationRun.Phase.TRAINING);
        assertThat(get("api/state")).contains("\"paused\":false");
        fed.coordinator.admin().pause("alice");
        try {
            String json = get("api/state");
            assertThat(json).contains("\"paused\":true", "\"pausedBy\":\"alice\"", "\"phase\":\"TRAINING\"");
            assertThat(value(get("metrics"), "fedmil_paused{federation=\"e2e\"}")).isEqualTo(1);
            HttpResponse<String> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url
                    + "metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).as("HEAD /metrics").isEqualTo(200);

            String chromium = chromium();
            Assumptions.assumeTrue(chromium != null, () -> {
                String reason = "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): "
                        + "skipping the browser check of the paused dashboard";
                System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + reason);
                return reason;
            });
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            Path profile = Files.createTempDirectory(target, "chromium-profile");
            Path screenshot = target.resolve("dashboard-paused.png");
            Files.deleteIfExists(screenshot);
            runChromium(chromium, profile, "--screenshot=" + screenshot, "--window-size=1280,900",
                    "--virtual-time-budget=5000", url);
            assertThat(screenshot).exists();
            String dom = runChromium(chromium, profile, "--dump-dom", "--virtual-time-budget=5000", url).stdout;
            assertThat(dom).as("the page's script ran").contains("data-refreshed=");
            assertThat(between(dom, "<p class=\"status\">", "</p>"))
                    .contains("<span id=\"phase\" class=\"phase paused\" data-phase=\"TRAINING\">PAUSED</span>")
                    .contains("by alice at ");
        } finally {
            fed.coordinator.admin().resume("alice");
        }
        assertThat(get("api/state")).contains("\"paused\":false");
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + path))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    @Test
    @Order(2)
    void metricsCountTheFederation() throws Exception {
        hold.release();
        sites.get(10, TimeUnit.MINUTES);
        FederationRun run = fed.coordinator.run();
        assertThat(run.awaitFinished(Duration.ofMinutes(1))).isTrue();
        List<RoundResult> history = run.history();
        assertThat(history).hasSize(ROUNDS + 1);

        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        String text = r.body();
        System.out.println("--- /metrics (fedmil_*) ---");
        text.lines().filter(l -> l.startsWith("fedmil_")).forEach(System.out::println);

        String f = "{federation=\"e2e\"}";
        assertThat(value(text, "fedmil_rounds_completed_total" + f)).isEqualTo(ROUNDS);
        assertThat(value(text, "fedmil_updates_accepted_total" + f)).isEqualTo(SITES * ROUNDS);
        assertThat(value(text, "fedmil_updates_refused_total{federation=\"e2e\",reason=\"WRONG_TENSORS\"}"))
                .isEqualTo(1);
        assertThat(value(text, "fedmil_updates_refused_total{federation=\"e2e\",reason=\"NOT_JOINED\"}")).isZero();
        long modelBytes = run.currentModel().bytes().length;
        assertThat(value(text, "fedmil_grpc_received_bytes_total" + f)).as("every accepted delta")
                .isGreaterThanOrEqualTo(SITES * ROUNDS * modelBytes);
        assertThat(value(text, "fedmil_grpc_sent_bytes_total" + f)).as("every model download")
                .isGreaterThanOrEqualTo(SITES * ROUNDS * modelBytes);
        assertThat(value(text, "fedmil_round_duration_seconds_count" + f)).isEqualTo(ROUNDS);
        double seconds = history.stream().skip(1).mapToDouble(RoundResult::seconds).sum();
        assertThat(value(text, "fedmil_round_duration_seconds_sum" + f)).isCloseTo(seconds, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(value(text, "fedmil_sites_connected" + f)).isEqualTo(run.joinedSites().size());
        assertThat(value(text, "fedmil_heldout_auc" + f)).isEqualTo(history.get(ROUNDS).heldout().auc());
        assertThat(value(text, "fedmil_round_current" + f)).isEqualTo(ROUNDS);
        assertThat(text).contains("# TYPE fedmil_updates_refused_total counter", "# TYPE fedmil_sites_connected gauge",
                "# TYPE fedmil_round_duration_seconds summary");
    }

    @Test
    @Order(3)
    void theFinishedFederationsStateFolderIsServedReadOnlyByFedmilDashboard() throws Exception {
        FederationRun run = fed.coordinator.run();
        assertThat(run.awaitFinished(Duration.ofMinutes(2))).isTrue();
        java.util.Map<String, Integer> liveCounts = new java.util.TreeMap<>();
        fed.coordinator.admin().status().sites().forEach(s -> liveCounts.put(s.site(), s.updatesAccepted()));

        picocli.CommandLine cl = org.fedmil.cli.Fedmil.commandLine();
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        org.fedmil.coordinator.cli.DashboardCommand command = cl.getSubcommands().get("dashboard").getCommand();
        ExecutorService serving = Executors.newSingleThreadExecutor();
        Future<Integer> rc = serving.submit(() -> cl.execute("dashboard", "--state",
                fed.dir.resolve("state").toString(), "--port", "0"));
        try {
            await("fedmil dashboard serves").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> command.server() != null || rc.isDone());
            assertThat(rc.isDone()).as(err.toString()).isFalse();
            String folderUrl = command.server().url();
            assertThat(out.toString()).contains("dashboard of " + fed.dir.resolve("state").toAbsolutePath() + " on "
                    + folderUrl + " (read-only");
            HttpClient http = HttpClient.newHttpClient();
            String json = http.send(HttpRequest.newBuilder(URI.create(folderUrl + "api/state")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            com.fasterxml.jackson.databind.JsonNode state = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json);
            assertThat(state.get("phase").asText()).isEqualTo("FINISHED");
            assertThat(state.get("readOnly").asBoolean()).isTrue();
            assertThat(state.get("federationId").asText()).isEqualTo("e2e");
            long completed = 0;
            for (com.fasterxml.jackson.databind.JsonNode r : state.get("timeline")) {
                completed += r.get("status").asText().equals("completed") ? 1 : 0;
            }
            assertThat(completed).as("rounds 0..3 from the round log and metrics.json").isEqualTo(ROUNDS + 1);
            java.util.Map<String, Integer> folderCounts = new java.util.TreeMap<>();
            state.get("sites").forEach(s -> folderCounts.put(s.get("site").asText(), s.get("updatesAccepted").asInt()));
            assertThat(folderCounts).as("the counts of fedmil admin status").containsAllEntriesOf(liveCounts)
                    .containsEntry("site-1", ROUNDS).containsEntry("site-2", ROUNDS);
            assertThat(state.get("refusalsTotal").asLong()).isEqualTo(1);
            String page = http.send(HttpRequest.newBuilder(URI.create(folderUrl)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(page).contains("Read from the state folder", "<table id=\"rounds\"", "data-site=\"site-1\"");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(folderUrl + "api/state"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).as("read-only").isEqualTo(405);
            String scrape = http.send(HttpRequest.newBuilder(URI.create(folderUrl + "metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(value(scrape, "fedmil_round_current{federation=\"e2e\"}")).isEqualTo(ROUNDS);
        } finally {
            command.stop();
            assertThat(rc.get(30, TimeUnit.SECONDS)).isZero();
            serving.shutdownNow();
        }
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series + " in\n" + scrape);
    }

    private static String between(String s, String from, String to) {
        int i = s.indexOf(from);
        assertThat(i).as("'" + from + "' in the DOM:\n" + s).isNotNegative();
        int j = s.indexOf(to, i);
        return s.substring(i, j < 0 ? s.length() : j);
    }

    private static void awaitRounds(FederationRun run, int completedTrainingRounds) {
        await("round " + completedTrainingRounds + " completed").atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(200)).until(() -> run.history().size() >= completedTrainingRounds + 1);
    }

    /** Debian's chromium on the PATH, or null. */
    static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    private record Proc(String stdout, String output) {
    }

    private static Proc runChromium(String chromium, Path profile, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile, "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(profile, "out", ".txt");
        Path err = Files.createTempFile(profile, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("chromium did not finish within 2 minutes: " + cmd);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("chromium's exit status; stderr:\n" + stderr).isZero();
        return new Proc(stdout, stdout.length() > 2000 ? stderr : stdout + stderr);
    }

    /**
     * Holds every upload once {@code round}-1 training rounds are completed (round {@code round} is open) until
     * released, at most 90 s (sites' upload deadline is 120 s), so that the federation is still running while the
     * page is looked at.
     */
    static final class HoldRound implements ServerInterceptor {
        private final int round;
        private final CountDownLatch released = new CountDownLatch(1);
        volatile FederationRun run;

        HoldRound(int round) {
            this.round = round;
        }

        void release() {
            released.countDown();
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            FederationRun r = run;
            if (r != null && call.getMethodDescriptor().getFullMethodName()
                    .equals(FederationGrpc.getUploadUpdateMethod().getFullMethodName())
                    && r.history().size() >= round) {
                try {
                    released.await(90, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return next.startCall(call, headers);
        }
    }
}
