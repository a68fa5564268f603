package org.fedmil.coordinator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.fedmil.audit.RoundLog;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.AdminService;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.server.CoordinatorServer;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fedmil admin} against a real coordinator server (Netty, mutual TLS on loopback) whose handshake timeout
 * (limits.handshake_timeout_seconds: 1) is shorter than the client takes to start its first handshake, slowed by a
 * loopback proxy: the coordinator drops that connection, as it did to cold admin JVMs on a loaded host.
 */
class AdminOverASlowHandshakeTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    @TempDir
    Path dir;

    private FederationRun run;
    private RoundLog roundLog;
    private CoordinatorServer server;
    private PartyCredentials alice;
    private PartyCredentials coordinatorCredentials;

    private record Cli(int rc, String out, String err) {
    }

    @BeforeEach
    void startCoordinator() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        alice = ca.issueAdmin("alice", Duration.ofDays(1));
        coordinatorCredentials = coordinator;
        roundLog = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(coordinator.key()),
                PemFiles.readCertificate(coordinator.cert()));
        AuditTrail audit = new AuditTrail(roundLog);
        FederationPlan plan = new FederationPlan("slow", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(2));
        audit.opened(plan, false, 1);
        run = new FederationRun(plan, GlobalModel.of(0, SPEC,
                new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 1f})))),
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), audit);
        run.start();
        Revocations revocations = Revocations.load(dir);
        SiteGate gate = new SiteGate(revocations, Clock.systemUTC());
        CoordinatorConfig.Limits limits = new CoordinatorConfig.Limits(null, null, null, 1);
        server = CoordinatorServer.overMutualTls("127.0.0.1", 0,
                new TlsFiles(coordinator.cert(), coordinator.key(), coordinator.ca()), run, limits,
                dir.resolve("uploads"), audit, gate,
                new AdminService(new AdminControl(run, revocations, gate, audit, Clock.systemUTC()))).start();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        run.close();
        roundLog.close();
    }

    private Cli admin(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AdminCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Cli(rc, out.toString(), err.toString());
    }

    @Test
    void aHandshakeTheCoordinatorDroppedIsRetriedAndTheCommandSucceeds() throws Exception {
        try (SlowFirstBytesProxy proxy = new SlowFirstBytesProxy(server.port(), Duration.ofMillis(2500), 1)) {
            Cli status = admin("status", "--coordinator", "127.0.0.1:" + proxy.port(), "--credentials",
                    alice.dir().toString());
            assertThat(status.rc()).as(status.err()).isZero();
            assertThat(status.out()).contains("federation 'slow': WAITING_FOR_SITES, round 0 of 3");
            assertThat(status.err()).as("one line per retry").contains("fedmil admin status: UNAVAILABLE")
                    .contains("retrying in 1 s (attempt 2)");
            assertThat(proxy.connections()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aPauseWhoseFirstHandshakeIsDroppedPausesOnceAndPrintsJson() throws Exception {
        try (SlowFirstBytesProxy proxy = new SlowFirstBytesProxy(server.port(), Duration.ofMillis(2500), 1)) {
            Cli paused = admin("pause", "--json", "--coordinator", "127.0.0.1:" + proxy.port(), "--credentials",
                    alice.dir().toString());
            assertThat(paused.rc()).as(paused.err()).isZero();
            JsonNode json = new ObjectMapper().readTree(paused.out());
            assertThat(json.get("paused").asBoolean()).isTrue();
            assertThat(json.get("paused_by").asText()).isEqualTo("alice");
            assertThat(json.get("phase").asText()).isEqualTo("WAITING_FOR_SITES");
            assertThat(json.get("sites").isArray()).isTrue();
        }
        assertThat(run.view().paused()).isTrue();
    }

    @Test
    void statusWatchRefreshesUntilTheFederationFinishesOneJsonLineEach() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            StringWriter out = new StringWriter();
            CommandLine cl = new CommandLine(new AdminCommand());
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            java.util.concurrent.Future<Integer> rc = pool.submit(() -> cl.execute("status", "--watch", "--every", "1",
                    "--json", "--coordinator", "127.0.0.1:" + server.port(), "--credentials", alice.dir().toString()));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> out.toString().lines().count() >= 2);
            assertThat(rc.isDone()).as("still watching a running federation").isFalse();
            run.abort("end of the test");
            assertThat(rc.get(60, java.util.concurrent.TimeUnit.SECONDS)).isZero();
            List<String> lines = out.toString().lines().toList();
            ObjectMapper json = new ObjectMapper();
            assertThat(json.readTree(lines.get(0)).get("phase").asText()).isEqualTo("WAITING_FOR_SITES");
            assertThat(json.readTree(lines.get(lines.size() - 1)).get("phase").asText()).isEqualTo("FINISHED");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutRetriesTheFailureSaysWhatItMostLikelyIs() throws Exception {
        try (SlowFirstBytesProxy proxy = new SlowFirstBytesProxy(server.port(), Duration.ofMillis(2500), 1)) {
            Cli status = admin("status", "--retry-for", "0", "--coordinator", "127.0.0.1:" + proxy.port(),
                    "--credentials", alice.dir().toString());
            assertThat(status.rc()).isEqualTo(1);
            assertThat(status.err()).contains("fedmil admin status: UNAVAILABLE")
                    .contains("closed the connection before answering")
                    .contains("limits.handshake_timeout_seconds").contains("--retry-for");
        }
    }

    @Test
    void nothingListeningIsSaidSoAfterTheRetries() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Cli status = admin("status", "--retry-for", "2", "--coordinator", "127.0.0.1:" + closedPort,
                "--credentials", alice.dir().toString());
        assertThat(status.rc()).isEqualTo(1);
        assertThat(status.err()).contains("retrying in 1 s (attempt 2)")
                .contains("nothing accepts connections at 127.0.0.1:" + closedPort);
    }

    @Test
    void revokeGoesThroughWhenEveryHandshakeTakesLongerThanNettysOwnTenSeconds() throws Exception {
        // a coordinator host that takes 12 s to accept each connection: with Netty's fixed 10 s client limit
        // every attempt failed, however long the attempt's deadline
        Path state = dir.resolve("slow-host");
        java.nio.file.Files.createDirectories(state);
        Revocations revocations = Revocations.load(state);
        SiteGate gate = new SiteGate(revocations, Clock.systemUTC());
        AuditTrail audit = new AuditTrail(roundLog);
        CoordinatorServer patient = CoordinatorServer.overMutualTls("127.0.0.1", 0,
                new TlsFiles(coordinatorCredentials.cert(), coordinatorCredentials.key(),
                        coordinatorCredentials.ca()), run, new CoordinatorConfig.Limits(null, null, null, 60),
                state.resolve("uploads"), audit, gate,
                new AdminService(new AdminControl(run, revocations, gate, audit, Clock.systemUTC()))).start();
        try (SlowFirstBytesProxy proxy = SlowFirstBytesProxy.connectingLate(patient.port(), Duration.ofSeconds(12))) {
            Cli revoked = admin("revoke", "site-b", "--reason", "key stolen", "--retry-for", "0", "--coordinator",
                    "127.0.0.1:" + proxy.port(), "--credentials", alice.dir().toString());

            assertThat(revoked.rc()).as(revoked.err()).isZero();
            assertThat(proxy.connections()).as("one attempt was enough").isEqualTo(1);
            assertThat(revocations.isRevoked("site-b")).isTrue();
        } finally {
            patient.stop();
        }
    }
}
