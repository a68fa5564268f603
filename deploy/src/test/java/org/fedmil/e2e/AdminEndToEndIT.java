package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's {@code fedmil admin} commands against a real coordinator and real site agents over mutual TLS on
 * loopback: what docs/operator-guide.md shows, run as written.
 */
class AdminEndToEndIT {

    private record Cli(int rc, String out, String err) {
    }

    private static Cli fedmil(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Fedmil.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(java.util.Arrays.stream(args).map(String::valueOf).toArray(String[]::new));
        return new Cli(rc, out.toString(), err.toString());
    }

    @Test
    void operatorWatchesPausesResumesAndRevokesASiteWhoseRevocationOutlivesARestart(@TempDir Path dir)
            throws Exception {
        try (TestFederation fed = new TestFederation(dir, 3, 3, 30, 40)) {
            PartyCredentials alice = fed.ca.issueAdmin("alice", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            String coordinator = "localhost:" + fed.coordinator.port();
            FederationRun run = fed.coordinator.run();

            Cli status = fedmil("admin", "status", "--coordinator", coordinator, "--credentials", alice.dir());
            assertThat(status.rc()).as(status.err()).isZero();
            assertThat(status.out()).contains("federation 'e2e': WAITING_FOR_SITES, round 0 of 3")
                    .contains("no site has joined yet");

            // a site certificate does not reach Admin
            Cli denied = fedmil("admin", "status", "--coordinator", coordinator, "--credentials",
                    fed.site("site-1").dir());
            assertThat(denied.rc()).isEqualTo(1);
            assertThat(denied.err()).contains("PERMISSION_DENIED")
                    .contains("site certificate 'site-1' may not call fedmil.v1.Admin/Status");

            // --cert/--key/--ca instead of --credentials
            Cli paused = fedmil("admin", "pause", "--coordinator", coordinator, "--cert", alice.cert(), "--key",
                    alice.key(), "--ca", alice.ca());
            assertThat(paused.rc()).as(paused.err()).isZero();
            assertThat(paused.out()).contains("paused by alice").contains("(PAUSED)");

            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<ByteArrayOutputStream> consoles = new ArrayList<>();
                List<Future<Integer>> agents = new ArrayList<>();
                for (String name : List.of("site-1", "site-2", "site-3")) {
                    ByteArrayOutputStream console = new ByteArrayOutputStream();
                    consoles.add(console);
                    var config = fed.siteConfig(name, fed.site(name));
                    agents.add(pool.submit(() -> {
                        try (SiteAgent agent = new SiteAgent(config,
                                new PrintStream(console, true, StandardCharsets.UTF_8))) {
                            return agent.run();
                        }
                    }));
                }
                await("all three sites joined").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> assertThat(run.joinedSites()).hasSize(3));
                // an absence: with every site in, a round would start at once were the federation not paused
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(run.currentRound()).as("paused: no round starts").isZero());
                Cli waiting = fedmil("admin", "status", "--coordinator", coordinator, "--credentials", alice.dir());
                assertThat(waiting.out()).contains("(PAUSED)").containsPattern("site-1 +joined +20")
                        .contains("site-3");

                Cli resumed = fedmil("admin", "resume", "--coordinator", coordinator, "--credentials", alice.dir());
                assertThat(resumed.rc()).as(resumed.err()).isZero();
                assertThat(resumed.out()).contains("resumed by alice");
                assertThat(run.awaitModelVersion(1, Duration.ofMinutes(3))).isTrue();

                Cli revoked = fedmil("admin", "revoke", "site-3", "--reason", "key found on a shared drive",
                        "--coordinator", coordinator, "--credentials", alice.dir());
                assertThat(revoked.rc()).as(revoked.err()).isZero();
                assertThat(revoked.out()).contains("revoked site 'site-3'").containsPattern("site-3 +revoked")
                        .contains("revoked by alice: key found on a shared drive");

                // the revoked agent stops with the coordinator's reason and exit code 4
                assertThat(agents.get(2).get(3, TimeUnit.MINUTES)).isEqualTo(SiteAgent.REFUSED);
                assertThat(consoles.get(2).toString(StandardCharsets.UTF_8)).contains(
                        "site site-3 refused by the coordinator: site 'site-3' has been revoked by the consortium operator");
                assertThat(agents.get(0).get(5, TimeUnit.MINUTES)).isZero();
                assertThat(agents.get(1).get(5, TimeUnit.MINUTES)).isZero();
            } finally {
                pool.shutdownNow();
            }
            assertThat(run.history()).extracting(r -> r.round()).containsExactly(0, 1, 2, 3);
            assertThat(run.history().get(3).sites()).containsExactly("site-1", "site-2");

            String log = Files.readString(fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG));
            assertThat(log).contains("\"type\":\"site_revoked\"").contains("\"by\":\"alice\"")
                    .contains("key found on a shared drive");
            assertThat(fed.dir.resolve("state").resolve(Revocations.FILE)).exists();

            // after a restart the revoked certificate is refused at its first call, with the reason; the others pass
            // the handshake into the federation, which finished its rounds before the restart and so stays finished
            fed.restartCoordinator();
            assertThatThrownBy(() -> join(fed, "site-3"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                        assertThat(e.getStatus().getDescription())
                                .startsWith("site 'site-3' has been revoked by the consortium operator");
                    });
            assertPastTheHandshakeIntoAFinishedFederation(fed, "site-1");
            Cli after = fedmil("admin", "status", "--coordinator", "localhost:" + fed.coordinator.port(),
                    "--credentials", alice.dir());
            assertThat(after.out()).containsPattern("site-3 +revoked");

            // an explicit unrevoke admits it again; abort ends the federation
            String restarted = "localhost:" + fed.coordinator.port();
            Cli unrevoked = fedmil("admin", "unrevoke", "site-3", "--reason", "investigated; key destroyed",
                    "--coordinator", restarted, "--credentials", alice.dir());
            assertThat(unrevoked.rc()).as(unrevoked.err()).isZero();
            assertThat(unrevoked.out()).contains("site 'site-3' may join again");
            assertPastTheHandshakeIntoAFinishedFederation(fed, "site-3");
            Cli aborted = fedmil("admin", "abort", "--reason", "end of the test", "--coordinator", restarted,
                    "--credentials", alice.dir());
            assertThat(aborted.rc()).as(aborted.err()).isZero();
            assertThat(aborted.out()).contains("the federation has already finished");
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(10))).isTrue();
            assertThat(Files.readString(fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG)))
                    .contains("\"type\":\"site_unrevoked\"").contains("all 3 rounds done");
        }
    }

    /** The site's certificate passed the handshake; the federation itself, finished, refused the join. */
    private static void assertPastTheHandshakeIntoAFinishedFederation(TestFederation fed, String site) {
        assertThatThrownBy(() -> join(fed, site)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains("has finished");
        });
    }

    private static String join(TestFederation fed, String site) throws Exception {
        try (CoordinatorClient client = new CoordinatorClient("localhost", fed.coordinator.port(),
                TestFederation.tls(fed.site(site)))) {
            return client.join(JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build())
                    .getSiteId();
        }
    }
}
