package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.MutualTls;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sites that drop out mid-upload and sites that miss the round's deadline, against a real coordinator over real
 * mutual TLS: a broken upload never reaches the aggregate, resumes from the bytes the coordinator acknowledged,
 * and a late update is refused while its site takes the next round.
 */
class DropoutAndStragglerIT {

    private static final int CHUNK = 1024;

    private static JoinRequest join() {
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build();
    }

    private static CoordinatorClient client(TestFederation fed, PartyCredentials creds) {
        return new CoordinatorClient("localhost", fed.coordinator.port(), TestFederation.tls(creds));
    }

    /** The global model's tensors with every value {@code v}. */
    private static TensorSet filled(TensorSet like, float v) {
        List<NamedTensor> out = new java.util.ArrayList<>();
        for (NamedTensor t : like.tensors()) {
            float[] values = new float[t.values().length];
            java.util.Arrays.fill(values, v);
            out.add(new NamedTensor(t.name(), t.shape(), values));
        }
        return new TensorSet(out);
    }

    private static UpdateHeader header(Task task, TensorSet delta, byte[] bytes) {
        return UpdateHeader.newBuilder().setRound(task.getTrain().getRound())
                .setBaseModelVersion(task.getTrain().getModelVersion())
                .setBaseModelSha256(task.getTrain().getModelSha256())
                .setDeltaSha256(ByteString.copyFrom(Sha256.of(bytes))).setNumTrainingBags(30).setTrainLoss(0.5)
                .addAllTensors(Wire.toProto(delta.specs())).setTotalBytes(bytes.length).build();
    }

    /**
     * Opens an upload stream as {@code creds}' site, sends the header and the first {@code chunks} chunks, waits
     * until the coordinator holds them, then breaks the stream off as a killed process or a dropped link would.
     */
    private static void uploadThenBreakOff(TestFederation fed, PartyCredentials creds, CoordinatorClient sameSite,
                                           UpdateHeader header, byte[] bytes, int chunks) throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", fed.coordinator.port(),
                MutualTls.channelCredentials(creds.cert(), creds.key(), creds.ca())).build();
        try {
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            StreamObserver<UpdateChunk> requests = FederationGrpc.newStub(channel).uploadUpdate(new StreamObserver<>() {
                @Override
                public void onNext(UploadReceipt value) {
                    ended.complete(new AssertionError("a broken-off upload got a receipt"));
                }

                @Override
                public void onError(Throwable t) {
                    ended.complete(t);
                }

                @Override
                public void onCompleted() {
                }
            });
            requests.onNext(UpdateChunk.newBuilder().setHeader(header).build());
            for (int i = 0; i < chunks; i++) {
                requests.onNext(UpdateChunk.newBuilder().setOffset((long) i * CHUNK)
                        .setData(ByteString.copyFrom(bytes, i * CHUNK, CHUNK)).build());
            }
            await("coordinator acknowledges the chunks sent").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> sameSite.uploadStatus(header.getRound(), header.getDeltaSha256().toByteArray())
                            .getAcknowledgedBytes(), acknowledged -> acknowledged >= (long) chunks * CHUNK);
            requests.onError(Status.CANCELLED.withDescription("site killed mid-upload").asRuntimeException());
            assertThat(Status.fromThrowable(ended.get(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUploadCutMidStreamLeavesNothingInTheRoundAndResumesFromTheAcknowledgedBytes(@TempDir Path dir)
            throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 30, 40)) {
            PartyCredentials c1 = fed.site("site-1");
            try (CoordinatorClient site1 = client(fed, c1).withChunkBytes(CHUNK);
                 CoordinatorClient site2 = client(fed, fed.site("site-2"))) {
                site1.join(join());
                site2.join(join());
                Task task = site1.nextTask(0);
                FederationRun run = fed.coordinator.run();
                TensorSet global = run.currentModel().weights();
                TensorSet delta = filled(global, 0.01f);
                byte[] bytes = TensorCodec.encode(delta);
                assertThat(bytes.length).as("the delta spans many chunks").isGreaterThan(10 * CHUNK);
                UpdateHeader header = site1.sign(header(task, delta, bytes));

                uploadThenBreakOff(fed, c1, site1, header, bytes, 5);

                assertThat(run.updatesReceived()).as("a broken upload is not an update").isZero();
                assertThat(site1.nextTask(0).hasTrain()).as("site-1 is still asked for its update").isTrue();
                long before = site1.dataBytesSent();
                UploadReceipt receipt = site1.resumableUpload(header, bytes, Duration.ofSeconds(30));
                assertThat(receipt.getUpdatesReceived()).isEqualTo(1);
                assertThat(site1.dataBytesSent() - before).as("only the bytes after the acknowledged ones are re-sent")
                        .isEqualTo(bytes.length - 5L * CHUNK);

                site2.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);
                assertThat(run.awaitModelVersion(1, Duration.ofSeconds(60))).isTrue();
                // both sites sent +0.01 everywhere: the new model is exactly the old one plus 0.01
                TensorSet next = run.currentModel().weights();
                for (NamedTensor t : global.tensors()) {
                    float[] now = next.get(t.name()).values();
                    for (int i = 0; i < now.length; i++) {
                        assertThat(now[i]).isCloseTo(t.values()[i] + 0.01f, org.assertj.core.data.Offset.offset(1e-6f));
                    }
                }
            }
        }
    }

    @Test
    void aSiteKilledMidUploadComesBackAndItsRealAgentCompletesTheRoundWithoutATraceOfThePartialUpload(
            @TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 30, 40)) {
            PartyCredentials c1 = fed.site("site-1");
            FederationRun run = fed.coordinator.run();
            TensorSet global = run.currentModel().weights();
            try (CoordinatorClient killed = client(fed, c1);
                 CoordinatorClient site2 = client(fed, fed.site("site-2"))) {
                killed.join(join());
                site2.join(join());
                Task task = killed.nextTask(0);
                assertThat(task.getTrain().getRound()).isEqualTo(1);
                // the dying process was sending garbage it would never have completed
                TensorSet garbage = filled(global, 500f);
                byte[] bytes = TensorCodec.encode(garbage);
                uploadThenBreakOff(fed, c1, killed, killed.sign(header(task, garbage, bytes)), bytes, 3);
            }
            assertThat(run.updatesReceived()).isZero();

            List<String> consoles = fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false, false));

            RoundResult r1 = run.history().get(1);
            assertThat(r1.sites()).containsExactly("site-1", "site-2");
            TensorSet next = run.currentModel().weights();
            for (NamedTensor t : global.tensors()) {
                float[] now = next.get(t.name()).values();
                for (int i = 0; i < now.length; i++) {
                    assertThat(Math.abs(now[i] - t.values()[i])).as("no trace of the +500 partial upload").isLessThan(5f);
                }
            }
            assertThat(consoles.get(0)).contains("site site-1 round 1: trained");
        }
    }

    @Test
    void aStragglersLateUpdateIsRefusedNamingTheClosedRoundAndItTakesTheNextRound(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 2, 30, 40,
                c -> TestFederation.withRules(c, 2, 1, "retry", new CoordinatorConfig.Limits(null, null, null)));
             CoordinatorClient site1 = client(fed, fed.site("site-1"));
             CoordinatorClient site2 = client(fed, fed.site("site-2"))) {
            site1.join(join());
            site2.join(join());
            FederationRun run = fed.coordinator.run();
            Task task = site1.nextTask(0);
            TensorSet delta = filled(run.currentModel().weights(), 0.01f);
            site1.upload(1, 0, task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);

            assertThat(run.awaitModelVersion(1, Duration.ofSeconds(30))).as("the deadline closes round 1").isTrue();
            assertThat(run.history().get(1).sites()).containsExactly("site-1");

            StatusRuntimeException late = catchThrowableOfType(StatusRuntimeException.class,
                    () -> site2.upload(task.getTrain().getRound(), 0, task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5));
            assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(late.getStatus().getDescription()).contains("round 1 is closed").contains("too late");
            Task next = site2.nextTask(0);
            assertThat(next.hasTrain()).isTrue();
            assertThat(next.getTrain().getRound()).isEqualTo(2);
            assertThat(fed.coordinator.store().refusals()).extracting(StateStore.Refusal::kind)
                    .containsExactly(UpdateRefusal.ROUND_CLOSED);
        }
    }

    @Test
    void aPartialUploadSpooledToTheStateFolderIsResumedAfterTheCoordinatorRestarts(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 30, 40)) {
            PartyCredentials c1 = fed.site("site-1");
            TensorSet delta;
            UpdateHeader header;
            byte[] bytes;
            try (CoordinatorClient site1 = client(fed, c1);
                 CoordinatorClient site2 = client(fed, fed.site("site-2"))) {
                site1.join(join());
                site2.join(join());
                Task task = site1.nextTask(0);
                assertThat(task.getTrain().getRound()).isEqualTo(1);
                delta = filled(fed.coordinator.run().currentModel().weights(), 0.01f);
                bytes = TensorCodec.encode(delta);
                header = site1.sign(header(task, delta, bytes));
                uploadThenBreakOff(fed, c1, site1, header, bytes, 7);
            }
            assertThat(java.nio.file.Files.list(fed.coordinator.store().dir().resolve("uploads")))
                    .as("the partial upload is in the state folder").hasSize(1);

            fed.restartCoordinator();

            try (CoordinatorClient site1 = client(fed, c1).withChunkBytes(CHUNK);
                 CoordinatorClient site2 = client(fed, fed.site("site-2"))) {
                site1.join(join());
                site2.join(join());
                Task task = site1.nextTask(0);
                assertThat(task.getTrain().getRound()).as("round 1 runs again").isEqualTo(1);
                assertThat(site1.uploadStatus(1, Sha256.of(bytes)).getAcknowledgedBytes()).isEqualTo(7L * CHUNK);
                site1.resumableUpload(header, bytes, Duration.ofSeconds(30));
                assertThat(site1.dataBytesSent()).as("only the rest is sent after the restart")
                        .isEqualTo(bytes.length - 7L * CHUNK);
                site2.upload(1, 0, task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);
                assertThat(fed.coordinator.run().awaitModelVersion(1, Duration.ofSeconds(60))).isTrue();
                assertThat(java.nio.file.Files.list(fed.coordinator.store().dir().resolve("uploads")))
                        .as("spooled uploads are deleted once accepted").isEmpty();
            }
        }
    }
}
