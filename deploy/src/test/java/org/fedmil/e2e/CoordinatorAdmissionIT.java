package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who gets in and what is accepted, against a real coordinator over real mutual TLS on loopback. The tests share
 * one federation (two sites, two rounds) and run in order: refusals of round 1 first (one test per kind of bad
 * update), then round 1 itself, then replays in round 2, then the record of every refusal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CoordinatorAdmissionIT {

    private TestFederation fed;
    private CoordinatorClient site1;
    private CoordinatorClient site2;

    @BeforeAll
    void startFederation(@TempDir Path dir) throws Exception {
        fed = new TestFederation(dir, 2, 2, 30, 40);
        site1 = client(fed.site("site-1"));
        site2 = client(fed.site("site-2"));
    }

    @AfterAll
    void stop() throws Exception {
        site1.close();
        site2.close();
        fed.close();
    }

    private CoordinatorClient client(PartyCredentials creds) {
        return new CoordinatorClient("localhost", fed.coordinator.port(), TestFederation.tls(creds));
    }

    private static JoinRequest join() {
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build();
    }

    private FederationRun run() {
        return fed.coordinator.run();
    }

    @Test
    @Order(1)
    void aClientWithACertificateOfAnotherCaIsRefused(@TempDir Path other) throws Exception {
        ConsortiumCa rogue = ConsortiumCa.init(other, "rogue", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials impostor = rogue.issueSite("site-1", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        // The impostor trusts our CA (anyone can obtain ca.pem) but presents a certificate of its own CA, built
        // with plain grpc credentials: FedMIL's own client would refuse such a pair before dialling.
        assertRefusedAtHandshake(TlsChannelCredentials.newBuilder()
                .keyManager(impostor.cert().toFile(), impostor.key().toFile())
                .trustManager(fed.ca.layout().caCert().toFile()).build());
        assertThat(run().joinedSites()).isEmpty();
    }

    @Test
    @Order(2)
    void aClientWithoutACertificateIsRefused() throws Exception {
        assertRefusedAtHandshake(TlsChannelCredentials.newBuilder()
                .trustManager(fed.ca.layout().caCert().toFile()).build());
        assertThat(run().joinedSites()).isEmpty();
    }

    @Test
    @Order(3)
    void anAdminCertificateCannotActAsASite() throws Exception {
        PartyCredentials admin = fed.ca.issueAdmin("operator", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        try (CoordinatorClient c = client(admin)) {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> c.join(join()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
        assertThat(run().joinedSites()).isEmpty();
    }

    @Test
    @Order(4)
    void theCoordinatorKnowsASiteByItsCertificateName() {
        assertThat(site1.join(join()).getSiteId()).isEqualTo("site-1");
        assertThat(site2.join(join()).getSiteId()).isEqualTo("site-2");
        assertThat(run().joinedSites()).containsExactly("site-1", "site-2");
    }

    private TensorSet zeroDelta() {
        TensorSet global = run().currentModel().weights();
        return global.minus(global);
    }

    @Test
    @Order(5)
    void aDeltaWhoseSha256DoesNotMatchIsRejectedAndChangesNothing() {
        Task task = site1.nextTask(0);
        assertThat(task.hasTrain()).isTrue();
        TensorSet delta = zeroDelta();
        byte[] bytes = TensorCodec.encode(delta);
        byte[] claimed = Sha256.of(bytes);
        bytes[bytes.length - 1] ^= 0x40; // one bit flipped in transit or by a faulty site
        UpdateHeader header = site1.sign(header(task, delta, claimed, bytes.length));

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadRaw(header, Wire.chunks(bytes)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("SHA-256 mismatch");
        assertThat(run().updatesReceived()).isZero();
        assertThat(run().currentModel().version()).isZero();
        assertThat(site1.nextTask(0).hasTrain()).as("site-1 is still asked for its update").isTrue();
    }

    private Task trainTask() {
        Task task = site1.nextTask(0);
        assertThat(task.hasTrain()).isTrue();
        return task;
    }

    /** Sends {@code delta} as site-1's update for the open round; returns the refusal. */
    private StatusRuntimeException refusedUpload(TensorSet delta) {
        Task task = trainTask();
        byte[] bytes = TensorCodec.encode(delta);
        UpdateHeader header = site1.sign(header(task, delta, Sha256.of(bytes), bytes.length));
        return catchThrowableOfType(StatusRuntimeException.class, () -> site1.uploadRaw(header, Wire.chunks(bytes)));
    }

    private void assertNothingChanged() {
        assertThat(run().updatesReceived()).isZero();
        assertThat(run().currentModel().version()).isZero();
        assertThat(site1.nextTask(0).hasTrain()).as("site-1 is still asked for its update").isTrue();
    }

    /** The global model with every value replaced by {@code v}: same names and shapes, chosen values. */
    private TensorSet filled(float v) {
        List<NamedTensor> out = new java.util.ArrayList<>();
        for (NamedTensor t : run().currentModel().weights().tensors()) {
            float[] values = new float[t.values().length];
            java.util.Arrays.fill(values, v);
            out.add(new NamedTensor(t.name(), t.shape(), values));
        }
        return new TensorSet(out);
    }

    @Test
    @Order(10)
    void aDeltaHoldingANaNIsRefusedAndChangesNothing() {
        TensorSet delta = filled(0f);
        delta.tensors().get(1).values()[0] = Float.NaN;
        StatusRuntimeException e = refusedUpload(delta);
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("NaN or infinite").contains(delta.tensors().get(1).name());
        assertNothingChanged();
    }

    @Test
    @Order(11)
    void aDeltaWhoseL2NormExceedsTheBoundIsRefusedAndChangesNothing() {
        StatusRuntimeException e = refusedUpload(filled(1000f));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("L2 norm").contains("limits.max_update_l2_norm = 1.000e+04");
        assertNothingChanged();
    }

    @Test
    @Order(12)
    void aTruncatedStreamIsRefusedAndChangesNothing() {
        Task task = trainTask();
        TensorSet delta = zeroDelta();
        byte[] bytes = TensorCodec.encode(delta);
        UpdateHeader header = site1.sign(header(task, delta, Sha256.of(bytes), bytes.length));
        byte[] first = java.util.Arrays.copyOf(bytes, bytes.length - 100);
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadRaw(header, Wire.chunks(first)));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("upload ended after " + (bytes.length - 100) + " of "
                + bytes.length);
        assertNothingChanged();
    }

    @Test
    @Order(13)
    void aChunkOutOfOrderIsRefusedAndChangesNothing() {
        Task task = trainTask();
        TensorSet delta = zeroDelta();
        byte[] bytes = TensorCodec.encode(delta);
        UpdateHeader header = site1.sign(header(task, delta, Sha256.of(bytes), bytes.length));
        int c = 1024;
        List<UpdateChunk> swapped = List.of(chunk(bytes, 0, c), chunk(bytes, 2 * c, c), chunk(bytes, c, c));
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadChunks(header, swapped, false));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("chunk at offset 2048 but the coordinator holds 1024 bytes");
        assertNothingChanged();
    }

    private static UpdateChunk chunk(byte[] bytes, int offset, int size) {
        return UpdateChunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(bytes, offset, size)).build();
    }

    @Test
    @Order(14)
    void anUploadOverTheSizeLimitIsRefusedBeforeAnythingIsBuffered() {
        Task task = trainTask();
        TensorSet delta = zeroDelta();
        UpdateHeader header = site1.sign(header(task, delta, new byte[32], 0).toBuilder().setTotalBytes(3L << 30).build());
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadRaw(header, List.of()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("limits.max_update_bytes = 1073741824");
        assertNothingChanged();
    }

    @Test
    @Order(15)
    void anUpdateWithAWrongTensorNameIsRefusedWithTheTensorNamed() {
        TensorSet good = zeroDelta();
        List<NamedTensor> renamed = new java.util.ArrayList<>(good.tensors());
        NamedTensor first = renamed.get(0);
        renamed.set(0, new NamedTensor("encoder.evil", first.shape(), first.values()));
        StatusRuntimeException e = refusedUpload(new TensorSet(renamed));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("encoder.evil").contains(first.name());
        assertNothingChanged();
    }

    @Test
    @Order(20)
    void aSiteCannotUploadUnderAnotherSitesIdentity() throws Exception {
        Task task = site1.nextTask(0);
        TensorSet delta = zeroDelta();
        UploadReceipt own = site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);
        assertThat(own.getUpdatesReceived()).isEqualTo(1);

        // The same bytes again (the site never saw the receipt): the original receipt, counted once.
        UploadReceipt retried = site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);
        assertThat(retried).isEqualTo(own);
        assertThat(run().updatesReceived()).isEqualTo(1);

        // site-1 tries to send a second, different update, say on site-2's behalf: the header has no identity
        // field, so it can only ever be site-1's, and site-1 already has its one update in this round.
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), filled(0.001f), 30, 0.5));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(e.getStatus().getDescription()).contains("already submitted update");

        // A consortium member that did not join this federation cannot slip an update in either.
        try (CoordinatorClient site3 = client(fed.site("site-3"))) {
            byte[] bytes = TensorCodec.encode(delta);
            UpdateHeader signed = site3.sign(header(task, delta, Sha256.of(bytes), bytes.length),
                    run().plan().federationId(), "site-3");
            StatusRuntimeException e3 = catchThrowableOfType(StatusRuntimeException.class,
                    () -> site3.uploadRaw(signed, Wire.chunks(bytes)));
            assertThat(e3.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
        assertThat(run().updatesReceived()).isEqualTo(1);
        assertThat(site2.nextTask(0).hasTrain()).as("the round still waits for site-2 itself").isTrue();

        UploadReceipt second = site2.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5);
        assertThat(second.getUpdatesReceived()).isEqualTo(2);
        assertThat(run().awaitModelVersion(1, Duration.ofSeconds(60))).isTrue();
        assertThat(run().history().get(1).sites()).containsExactly("site-1", "site-2");
    }

    @Test
    @Order(30)
    void replaysOfAClosedRoundOrAnOldBaseModelAreRefused() {
        Task task = site1.nextTask(0);
        assertThat(task.getTrain().getRound()).isEqualTo(2);
        TensorSet delta = filled(0.002f);
        StatusRuntimeException late = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.upload(1, 0, task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5));
        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(late.getStatus().getDescription()).contains("round 1 is closed");
        StatusRuntimeException stale = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.upload(2, 0, task.getTrain().getModelSha256().toByteArray(), delta, 30, 0.5));
        assertThat(stale.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(stale.getStatus().getDescription()).contains("trained from model version 0")
                .contains("trains from version 1");
        assertThat(run().updatesReceived()).isZero();
    }

    @Test
    @Order(40)
    void anUpdateWithOtherTensorShapesIsRefusedWithTheTensorNamed() {
        // a wrongly shaped update is refused before any round check.
        TensorSet wrong = new TensorSet(List.of(new NamedTensor("encoder.0.weight", new long[] {2, 2}, new float[4])));
        byte[] bytes = TensorCodec.encode(wrong);
        UpdateHeader header = UpdateHeader.newBuilder().setRound(1).setBaseModelVersion(0)
                .setDeltaSha256(ByteString.copyFrom(Sha256.of(bytes))).setNumTrainingBags(3).setTrainLoss(0.1)
                .addAllTensors(Wire.toProto(wrong.specs())).setTotalBytes(bytes.length).build();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadRaw(header, Wire.chunks(bytes)));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("bytes");
    }

    @Test
    @Order(50)
    void everyRefusalIsRecordedByKindInTheStateFolder() throws Exception {
        Path file = fed.coordinator.store().dir().resolve("refusals.json");
        List<StateStore.Refusal> onDisk = StateStore.JSON.readValue(file.toFile(),
                new com.fasterxml.jackson.core.type.TypeReference<List<StateStore.Refusal>>() { });
        assertThat(onDisk).extracting(StateStore.Refusal::kind).containsExactly(
                UpdateRefusal.SHA256_MISMATCH, UpdateRefusal.NON_FINITE, UpdateRefusal.NORM_EXCEEDED,
                UpdateRefusal.TRUNCATED, UpdateRefusal.OUT_OF_ORDER, UpdateRefusal.TOO_LARGE,
                UpdateRefusal.WRONG_TENSORS, UpdateRefusal.DUPLICATE, UpdateRefusal.NOT_JOINED,
                UpdateRefusal.ROUND_CLOSED, UpdateRefusal.STALE_BASE_MODEL, UpdateRefusal.WRONG_TENSORS);
        assertThat(onDisk).allSatisfy(r -> {
            assertThat(r.reason()).isNotBlank();
            assertThat(r.status()).isEqualTo(r.kind().code().name());
        });
        assertThat(onDisk.get(8).site()).isEqualTo("site-3");

        // the signed round log holds the same refusals, in the same order, and verifies
        Path roundLog = fed.coordinator.store().dir().resolve(org.fedmil.coordinator.Coordinator.ROUND_LOG);
        org.fedmil.audit.RoundLogVerifier.Verdict verdict =
                org.fedmil.audit.RoundLogVerifier.verify(roundLog, fed.ca.certificate());
        assertThat(verdict.ok()).as(verdict.problem()).isTrue();
        List<String> logged = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(roundLog)) {
            com.fasterxml.jackson.databind.JsonNode record = StateStore.JSON.readTree(line);
            if (record.path("type").asText().equals("update_refused")) {
                logged.add(record.path("code").asText());
                assertThat(record.path("reason").asText()).isNotBlank();
            }
        }
        assertThat(logged).containsExactlyElementsOf(onDisk.stream().map(r -> r.kind().name()).toList());
    }

    /** A join over these credentials fails in the TLS handshake: UNAVAILABLE, and nothing reaches the service. */
    private void assertRefusedAtHandshake(io.grpc.ChannelCredentials credentials) throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", fed.coordinator.port(), credentials).build();
        try {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> FederationGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).join(join()));
            assertThat(e).isNotNull();
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static UpdateHeader header(Task task, TensorSet delta, byte[] sha, int totalBytes) {
        return UpdateHeader.newBuilder()
                .setRound(task.getTrain().getRound())
                .setBaseModelVersion(task.getTrain().getModelVersion())
                .setBaseModelSha256(task.getTrain().getModelSha256())
                .setDeltaSha256(ByteString.copyFrom(sha))
                .setNumTrainingBags(30)
                .setTrainLoss(0.5)
                .addAllTensors(Wire.toProto(delta.specs()))
                .setTotalBytes(totalBytes)
                .build();
    }
}
