package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.Resume;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard, /api/state and /metrics say what {@code fedmil admin status} says: a real run, paused and with a
 * revoked site, read through the real admin control and served over loopback HTTP.
 */
class OperatorViewOnTheDashboardTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));

    @TempDir
    Path stateDir;

    private FederationRun run;
    private AdminControl admin;
    private DashboardState state;
    private FederationMetrics metrics;
    private DashboardServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private static final TensorSet WEIGHTS = new TensorSet(List.of(new NamedTensor("w", new long[] {2},
            new float[] {1f, 1f})));

    @BeforeEach
    void setUp() {
        start(null);
    }

    /** A coordinator's run and its dashboard, as Coordinator wires them; resumed from {@code resume} if given. */
    private void start(Resume resume) {
        state = new DashboardState("fed", 3, 2, Clock.systemUTC());
        metrics = new FederationMetrics("fed", 2);
        run = new FederationRun(new FederationPlan("fed", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(2)),
                GlobalModel.of(0, SPEC, WEIGHTS), resume,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(),
                AllListeners.of(state, metrics));
        state.follow(run::view);
        metrics.follow(run::view);
        run.start();
        Revocations revocations = Revocations.load(stateDir);
        admin = new AdminControl(run, revocations, new SiteGate(revocations, Clock.systemUTC()),
                new AdminControl.Recorder() {
                    @Override
                    public void siteRevoked(String site, String sha, String serial, String reason, String by) {
                    }

                    @Override
                    public void siteUnrevoked(String site, String reason, String by) {
                    }
                }, Clock.systemUTC());
        state.followOperator(admin::status);
        metrics.followOperator(admin::status);
        server = DashboardServer.forHost("127.0.0.1", 0, null, state::snapshot, metrics::scrape).start();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        server.stop();
        run.close();
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    @Test
    void aPauseIsShownAsPausedWithWhoInTheApiThePageAndTheMetrics() throws Exception {
        run.join("hospital-a", JOIN);
        run.join("hospital-b", JOIN);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> run.phase() == FederationRun.Phase.TRAINING);
        assertThat(get("api/state")).contains("\"paused\":false");
        assertThat(get("metrics")).contains("fedmil_paused{federation=\"fed\"} 0.0");

        admin.pause("alice");

        String json = get("api/state");
        assertThat(json).contains("\"paused\":true", "\"pausedBy\":\"alice\"", "\"phase\":\"TRAINING\"")
                .containsPattern("\"pausedAt\":\"20\\d\\d-");
        String page = get("");
        assertThat(page).contains("<span id=\"phase\" class=\"phase paused\" data-phase=\"TRAINING\">PAUSED</span>")
                .contains("by alice at ");
        String scrape = get("metrics");
        assertThat(scrape).contains("fedmil_paused{federation=\"fed\"} 1.0",
                "fedmil_phase{federation=\"fed\",phase=\"TRAINING\"} 1.0",
                "fedmil_phase{federation=\"fed\",phase=\"WAITING_FOR_SITES\"} 0.0",
                "fedmil_min_sites{federation=\"fed\"} 2.0");

        admin.resume("alice");
        assertThat(get("api/state")).contains("\"paused\":false", "\"pausedBy\":\"\"");
        assertThat(get("fragment")).doesNotContain("PAUSED");
    }

    @Test
    void aRevokedSiteStaysListedWithItsReasonInTheWordsAndCountsOfAdminStatus() throws Exception {
        run.join("hospital-a", JOIN);
        run.join("hospital-b", JOIN);
        admin.revoke("hospital-b", "key found on a shared drive", "alice");

        AdminControl.Status status = admin.status();
        DashboardState.Snapshot page = state.snapshot();
        assertThat(page.sites()).extracting(DashboardState.SiteRow::site, DashboardState.SiteRow::state,
                        DashboardState.SiteRow::updatesAccepted)
                .containsExactlyElementsOf(status.sites().stream()
                        .map(s -> org.assertj.core.groups.Tuple.tuple(s.site(), s.state(), s.updatesAccepted()))
                        .toList());
        assertThat(page.sites()).extracting(DashboardState.SiteRow::state).containsExactly("training", "revoked");
        assertThat(page.joinedSites()).isEqualTo(1);
        assertThat(DashboardPage.fragment(page)).contains("<tr class=\"site revoked\" data-site=\"hospital-b\">")
                .contains("revoked by alice: key found on a shared drive");
        assertThat(get("metrics")).contains("fedmil_sites_revoked{federation=\"fed\"} 1.0");
        // a second revoke (a retried command) records nothing new and keeps the first reason
        assertThat(admin.revoke("hospital-b", "again", "bob").message()).contains("already revoked by alice");
        assertThat(state.snapshot().sites().get(1).leftReason()).contains("key found on a shared drive");
    }

    @Test
    void aQuorumThatRevocationsPutOutOfReachIsWarnedOfOnThePageAndInTheApi() throws Exception {
        run.join("hospital-a", JOIN); // min_sites 2: the federation waits for a second site
        assertThat(state.snapshot().warning()).isEmpty();

        admin.revoke("hospital-a", "left the consortium", "alice");

        String warning = admin.status().message();
        assertThat(warning).contains("cannot reach min_sites 2", "Ways out");
        assertThat(state.snapshot().warning()).isEqualTo(warning);
        assertThat(get("api/state")).contains("\"warning\":\"federation 'fed' cannot reach min_sites 2");
        assertThat(get("fragment")).contains("<p id=\"warning\" class=\"note warning\">federation &#39;fed&#39; "
                + "cannot reach min_sites 2");
    }

    @Test
    void afterARestartEverySitesUpdatesAreCountedOverTheWholeFederationAsAdminStatusCountsThem() throws Exception {
        server.stop();
        run.close();
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f});
        List<org.fedmil.coordinator.round.RoundResult> history = List.of(
                new org.fedmil.coordinator.round.RoundResult(0, 0, "00", List.of(), 0, Double.NaN, m, 0),
                new org.fedmil.coordinator.round.RoundResult(1, 1, "11", List.of("hospital-a", "hospital-b"), 10, 0.5,
                        m, 0),
                new org.fedmil.coordinator.round.RoundResult(2, 2, "22", List.of("hospital-a"), 5, 0.5, m, 0));
        start(new Resume(history, List.of(), GlobalModel.of(2, SPEC, WEIGHTS)));
        history.forEach(r -> state.roundCompleted(r, null)); // as Dashboard.start shows a resumed run's rounds
        run.join("hospital-a", JOIN);
        run.join("hospital-b", JOIN);

        DashboardState.Snapshot page = state.snapshot();
        assertThat(page.sites()).extracting(DashboardState.SiteRow::site, DashboardState.SiteRow::updatesAccepted)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("hospital-a", 2),
                        org.assertj.core.groups.Tuple.tuple("hospital-b", 1));
        assertThat(admin.status().sites()).extracting(AdminControl.Site::updatesAccepted).containsExactly(2, 1);
        assertThat(get("fragment")).contains("<td class=\"updates\">2</td>");
    }

    @Test
    void theMetricsCarryTheJvmAndTheProcessOnceBound() throws Exception {
        metrics.bindJvmAndProcess();
        try {
            assertThat(get("metrics")).contains("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds",
                    "process_files_open_files");
        } finally {
            metrics.close();
        }
    }
}
