package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator restarted on the same state folder, after the states an operator restarts in: an aborted or
 * finished federation stays finished and admits no site; revocations that leave min_sites out of reach are warned
 * of with the way out; sites that were joined before the restart re-join without being counted as refused uploads;
 * and a ready line says when the port is open. Real coordinators (the same state folder, a new process object each
 * time), real mutual TLS, real site agents or the agents' client.
 */
class CoordinatorLifecycleIT {

    private static JoinRequest join() {
        // 10 + 10 bags: an update may claim at most what its site declared at join
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(10))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(10)).build();
    }

    private static CoordinatorClient client(TestFederation fed, String site) throws Exception {
        return new CoordinatorClient("localhost", fed.coordinator.port(), TestFederation.tls(fed.site(site)));
    }

    private static JsonNode stateJson(TestFederation fed) throws Exception {
        return StateStore.JSON.readTree(fed.dir.resolve("state/state.json").toFile());
    }

    /** Runs one real agent against the coordinator until it exits; its exit code and console. */
    private static Map.Entry<Integer, String> runAgent(TestFederation fed, String site) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        SiteConfig config = fed.siteConfig(site, fed.site(site));
        try (SiteAgent agent = new SiteAgent(config, new PrintStream(console, true, StandardCharsets.UTF_8))) {
            int exit = agent.run();
            return Map.entry(exit, console.toString(StandardCharsets.UTF_8));
        }
    }

    private static void assertFinishedAndAdmitsNoSite(TestFederation fed, String reason) throws Exception {
        assertThat(fed.coordinator.run().phase()).isEqualTo(Phase.FINISHED);
        assertThat(fed.coordinator.run().view().finishReason()).isEqualTo(reason);
        assertThat(fed.coordinator.admin().status().phase()).isEqualTo("FINISHED");
        JsonNode state = stateJson(fed);
        assertThat(state.path("phase").asText()).isEqualTo("FINISHED");
        assertThat(state.path("finish_reason").asText()).isEqualTo(reason);
        try (CoordinatorClient newcomer = client(fed, "site-9")) {
            assertThatThrownBy(() -> newcomer.join(join())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(e.getStatus().getDescription()).contains("has finished (" + reason + ")");
            });
        }
        // a real agent is refused with the reason and exits, rather than re-joining or waiting
        Map.Entry<Integer, String> agent = runAgent(fed, "site-1");
        assertThat(agent.getKey()).as(agent.getValue()).isEqualTo(SiteAgent.REFUSED);
        assertThat(agent.getValue()).contains("not admitted by the coordinator", "has finished (" + reason + ")");
        assertThat(fed.coordinator.run().joinedSites()).isEmpty();
        assertThat(fed.console()).contains("coordinator ready: listening on 127.0.0.1:" + fed.coordinator.port()
                + ", federation 'e2e', finished (admits no site)");
    }

    @Test
    void anAbortedFederationStaysFinishedAcrossARestartAndAdmitsNoSite(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 8, 20, 20)) {
            try (CoordinatorClient site1 = client(fed, "site-1")) {
                site1.join(join());
            }
            fed.coordinator.admin().abort("held-out labels found wrong", "alice");
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(10))).isTrue();
            String reason = "aborted by admin 'alice': held-out labels found wrong";

            fed.restartCoordinator();

            assertThat(fed.console()).contains("federation 'e2e' has finished: " + reason,
                    "this coordinator admits no site").doesNotContain("round 9");
            assertFinishedAndAdmitsNoSite(fed, reason);
            // a site joined before the restart is not let back in by the back door either
            try (CoordinatorClient site1 = client(fed, "site-1")) {
                assertThatThrownBy(() -> site1.nextTask(0)).isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
            }
            // a second restart is the same, and the round log gained nothing after its federation_finished
            fed.restartCoordinator();
            assertFinishedAndAdmitsNoSite(fed, reason);
            List<String> types = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve("state").resolve(Coordinator.ROUND_LOG))) {
                types.add(StateStore.JSON.readTree(line).path("type").asText());
            }
            assertThat(types.get(types.size() - 1)).isEqualTo("federation_finished");
            assertThat(RoundLogVerifier.verify(dir.resolve("state").resolve(Coordinator.ROUND_LOG),
                    fed.ca.certificate()).ok()).isTrue();
        }
    }

    @Test
    void aFederationThatFinishedItsRoundsStaysFinishedAcrossARestart(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 20, 20)) {
            fed.runSites(List.of("site-1", "site-2"), null);
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();
            String reason = fed.coordinator.run().view().finishReason();
            assertThat(reason).contains("all 1 rounds done");

            fed.restartCoordinator();

            assertFinishedAndAdmitsNoSite(fed, reason);
            assertThat(fed.coordinator.run().history()).extracting(r -> r.round()).containsExactly(0, 1);
        }
    }

    @Test
    void revokingASiteSoThatMinSitesCannotBeReachedIsWarnedOfWithTheWayOut(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 3, 8, 20, 20)) {
            for (String site : List.of("site-1", "site-2", "site-3")) {
                try (CoordinatorClient c = client(fed, site)) {
                    c.join(join());
                }
            }
            assertThat(fed.coordinator.run().currentRound()).isEqualTo(1);
            fed.coordinator.admin().revoke("site-3", "key found on a shared drive", "alice");

            fed.restartCoordinator();

            String warning = "federation 'e2e' cannot reach min_sites 3 with the sites it has had: of the 3 sites "
                    + "that joined it, 1 is revoked (site-3), so at most 2 can join again";
            assertThat(fed.console()).contains("warning: " + warning, "lower min_sites in coordinator.yaml (or "
                    + "--min-sites 2) and restart", "fedmil pki issue site NAME", "fedmil admin abort");
            assertThat(fed.coordinator.admin().status().message()).contains(warning);
            // the two that are left join and are still told why nothing starts
            for (String site : List.of("site-1", "site-2")) {
                try (CoordinatorClient c = client(fed, site)) {
                    c.join(join());
                }
            }
            assertThat(fed.coordinator.run().phase()).isEqualTo(Phase.WAITING_FOR_SITES);
            assertThat(fed.coordinator.admin().status().message()).contains(warning);
        }
    }

    @Test
    void aSiteJoinedBeforeARestartIsToldToRejoinAndItsCallIsNotCountedAsARefusedUpload(@TempDir Path dir)
            throws Exception {
        try (TestFederation fed = new TestFederation(dir, 1, 3, 20, 20)) {
            Task task;
            try (CoordinatorClient site1 = client(fed, "site-1")) {
                site1.join(join());
                task = site1.nextTask(0);
                assertThat(task.getTrain().getRound()).isEqualTo(1);
            }
            TensorSet delta = zeros(fed.coordinator.run().currentModel().weights());
            byte[] bytes = TensorCodec.encode(delta);
            UpdateHeader header = UpdateHeader.newBuilder().setRound(1)
                    .setBaseModelVersion(task.getTrain().getModelVersion())
                    .setBaseModelSha256(task.getTrain().getModelSha256())
                    .setDeltaSha256(com.google.protobuf.ByteString.copyFrom(Sha256.of(bytes)))
                    .setNumTrainingBags(20).setTrainLoss(0.5)
                    .addAllTensors(Wire.toProto(delta.specs())).setTotalBytes(bytes.length).build();

            fed.restartCoordinator();

            // the upload of the training it did before the restart reaches the new coordinator first
            try (CoordinatorClient site1 = client(fed, "site-1")) {
                UpdateHeader signed = site1.sign(header, "e2e", "site-1");
                assertThatThrownBy(() -> site1.uploadRaw(signed, Wire.sharedChunks(bytes)))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                            assertThat(e.getStatus().getDescription()).contains("joined before the coordinator "
                                    + "restarted");
                        });
                assertThat(fed.coordinator.store().refusals()).as("a re-join is not a refused upload").isEmpty();

                // it joins again, as agents do on that status, and its update counts
                site1.join(join());
                Task again = site1.nextTask(0);
                assertThat(again.getTrain().getRound()).isEqualTo(1);
                site1.uploadRaw(signed, Wire.sharedChunks(bytes));
                assertThat(fed.coordinator.run().awaitModelVersion(1, Duration.ofSeconds(60))).isTrue();
            }
            // an upload from a site this federation never had is still refused and counted as NOT_JOINED
            try (CoordinatorClient stranger = client(fed, "site-7")) {
                UpdateHeader signed = stranger.sign(header.toBuilder().setRound(2).build(), "e2e", "site-7");
                assertThatThrownBy(() -> stranger.uploadRaw(signed, Wire.sharedChunks(bytes)))
                        .isInstanceOf(StatusRuntimeException.class);
            }
            assertThat(fed.coordinator.store().refusals()).extracting(r -> r.kind().name() + " " + r.site())
                    .containsExactly("NOT_JOINED site-7");
            assertThat(Files.readString(dir.resolve("state/refusals.json"))).doesNotContain("site-1");
        }
    }

    @Test
    void theReadyLineComesOnceThePortIsOpenAndNamesTheNextRound(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 4, 20, 20)) {
            String first = "coordinator ready: listening on 127.0.0.1:" + fed.coordinator.port()
                    + ", federation 'e2e', round 1 of 4 next, 0 of 2 sites joined";
            assertThat(fed.console()).contains("scoring the held-out set (20 bags) before opening the port", first);
            assertThat(fed.console().indexOf("scoring the held-out set")).isLessThan(fed.console().indexOf(first));
            try (CoordinatorClient c = client(fed, "site-1")) {
                c.join(join());
            }
            fed.restartCoordinator();
            await().atMost(Duration.ofSeconds(5)).until(() -> fed.console().contains("resumed from"));
            String console = fed.console();
            String ready = "coordinator ready: listening on 127.0.0.1:" + fed.coordinator.port()
                    + ", federation 'e2e', round 1 of 4 next, 0 of 2 sites joined";
            assertThat(console).contains(ready);
            assertThat(console.lastIndexOf(ready)).isGreaterThan(console.lastIndexOf("listening on 127.0.0.1:"
                    + fed.coordinator.port() + " (mutual TLS)"));
            // a resumed federation scores nothing before its port opens
            assertThat(console.substring(console.lastIndexOf("resumed from"))).doesNotContain("scoring the held-out");
        }
    }

    private static TensorSet zeros(TensorSet like) {
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : like.tensors()) {
            out.add(new NamedTensor(t.name(), t.shape(), new float[t.values().length]));
        }
        return new TensorSet(out);
    }
}
