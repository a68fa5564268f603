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
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
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
 * one federation (two sites, one round) and run in order: refusals first, then the round itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CoordinatorAdmissionTest {

    private TestFederation fed;
    private CoordinatorClient site1;
    private CoordinatorClient site2;

    @BeforeAll
    void startFederation(@TempDir Path dir) throws Exception {
        fed = new TestFederation(dir, 2, 1, 30, 40);
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
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()").build();
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
        UpdateHeader header = header(task, delta, claimed, bytes.length);

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.uploadRaw(header, Wire.chunks(bytes)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("SHA-256 mismatch");
        assertThat(run().updatesReceived()).isZero();
        assertThat(run().currentModel().version()).isZero();
        assertThat(site1.nextTask(0).hasTrain()).as("site-1 is still asked for its update").isTrue();
    }

    @Test
    @Order(6)
    void aSiteCannotUploadUnderAnotherSitesIdentity() throws Exception {
        Task task = site1.nextTask(0);
        TensorSet delta = zeroDelta();
        UploadReceipt own = site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), delta, 30, 0.5);
        assertThat(own.getUpdatesReceived()).isEqualTo(1);

        // site-1 tries to send a second update, say on site-2's behalf: the header has no identity field, so it
        // can only ever be site-1's, and site-1 already has its one update in this round.
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), delta, 30, 0.5));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);

        // A consortium member that did not join this federation cannot slip an update in either.
        try (CoordinatorClient site3 = client(fed.site("site-3"))) {
            StatusRuntimeException e3 = catchThrowableOfType(StatusRuntimeException.class,
                    () -> site3.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), delta, 30, 0.5));
            assertThat(e3.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
        assertThat(run().updatesReceived()).isEqualTo(1);
        assertThat(site2.nextTask(0).hasTrain()).as("the round still waits for site-2 itself").isTrue();

        UploadReceipt second = site2.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), delta, 30, 0.5);
        assertThat(second.getUpdatesReceived()).isEqualTo(2);
        assertThat(run().awaitModelVersion(1, Duration.ofSeconds(60))).isTrue();
        assertThat(run().history().get(1).sites()).containsExactly("site-1", "site-2");
    }

    @Test
    @Order(7)
    void anUpdateWithOtherTensorShapesIsRefusedWithTheTensorNamed() {
        // The round is over by now; a wrongly shaped update is refused before any round check.
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
                .setDeltaSha256(ByteString.copyFrom(sha))
                .setNumTrainingBags(30)
                .setTrainLoss(0.5)
                .addAllTensors(Wire.toProto(delta.specs()))
                .setTotalBytes(totalBytes)
                .build();
    }
}
