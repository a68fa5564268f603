package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.proto.v1.AdminGrpc;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.StatusRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as a whole, in process: its services answer, and the interceptors in front of them (identity,
 * revocation, the per-site call limit) refuse what they must.
 */
@Timeout(60)
class CoordinatorServerTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private final byte[] delta = smallDelta();

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private UpdateChunk headerOfA() {
        return signed(header(1, delta), coordinator.key("site-a"), "site-a");
    }

    private long heldOfA() {
        return coordinator.blockingAs("site-a").uploadStatus(UploadStatusRequest.newBuilder().setRound(1)
                .setDeltaSha256(ByteString.copyFrom(Sha256.of(delta))).build()).getAcknowledgedBytes();
    }

    @Test
    void aSiteIsGivenItsTaskAndTheRoundsModelAndMayLeave() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");

        Task task = coordinator.blockingAs("site-a").nextTask(NextTaskRequest.newBuilder().setMaxWaitMs(0).build());
        assertThat(task.hasTrain()).as("task %s", task).isTrue();
        assertThat(task.getTrain().getRound()).isEqualTo(1);
        assertThat(task.getTrain().getModelVersion()).isZero();
        assertThat(task.getTrain().getModelSha256().toByteArray()).isEqualTo(InProcessCoordinator.INITIAL.sha256());
        assertThat(task.getLogHead().getStatement()).as("the round log's signed head").contains("inproc");

        Iterator<ModelChunk> chunks = coordinator.blockingAs("site-a")
                .downloadModel(DownloadModelRequest.newBuilder().setModelVersion(0).build());
        assertThat(chunks.next().getHeader().getTotalBytes()).isEqualTo(InProcessCoordinator.INITIAL.bytes().length);
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        while (chunks.hasNext()) {
            chunks.next().getData().writeTo(model);
        }
        assertThat(Sha256.of(model.toByteArray())).isEqualTo(InProcessCoordinator.INITIAL.sha256());

        coordinator.blockingAs("site-b").leave(LeaveRequest.newBuilder().setReason("maintenance").build());
        assertThat(coordinator.run.joinedSites()).containsExactly("site-a");
    }

    @Test
    void theProductionIdentityCheckAdmitsNoCallWithoutAVerifiedCertificate() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults().certificateIdentity());

        StatusRuntimeException join = catchThrowableOfType(StatusRuntimeException.class,
                () -> coordinator.blockingAs("site-a").join(JoinRequest.newBuilder().setSoftwareVersion("t").build()));
        assertThat(join.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(join.getStatus().getDescription()).contains("only accepts calls over mutual TLS");

        assertRefused(upload(coordinator.as("site-a"), headerOfA(), data(delta)), Status.Code.UNAUTHENTICATED,
                "only accepts calls over mutual TLS");
        StatusRuntimeException admin = catchThrowableOfType(StatusRuntimeException.class,
                () -> AdminGrpc.newBlockingStub(coordinator.channel()).status(StatusRequest.getDefaultInstance()));
        assertThat(admin.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(coordinator.run.joinedSites()).isEmpty();
    }

    @Test
    void aSiteWithAsManyCallsOpenAsItsLimitIsRefusedUntilOneEnds() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()
                .limits(new CoordinatorConfig.Limits(null, null, 1))).join("site-a", "site-b");
        UploadStream open = UploadStream.open(coordinator.as("site-a")).send(headerOfA());

        // the open upload reaches the server on its own time: ask until it counts
        StatusRuntimeException refused = await("a second call while the upload is open is refused")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> catchThrowableOfType(StatusRuntimeException.class, this::heldOfA), Objects::nonNull);
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription())
                .contains("site 'site-a' already has 1 calls open (limits.max_concurrent_calls_per_site)");

        assertThat(open.send(data(delta)).complete().outcome().status().isOk()).isTrue();
        // asked while round 1 is open: site b's update below completes the round, and a closed round's upload
        // status no longer reports site a's bytes
        assertThat(heldOfA()).as("site a's calls are released once they end").isEqualTo(16);
        assertThat(upload(coordinator.as("site-b"), signed(header(1, delta), coordinator.key("site-b"), "site-b"),
                data(delta)).status().isOk()).as("another site's calls are not counted with site a's").isTrue();
    }

    private void revokeA() {
        coordinator.revocations.revoke(new Revocations.Entry("site-a", "sha", "serial", "test", "operator",
                Instant.now().toString()));
    }

    @Test
    void aRevokedSitesUploadIsRefusedPermissionDenied() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        revokeA();

        assertRefused(upload(coordinator.as("site-a"), headerOfA(), data(delta)), Status.Code.PERMISSION_DENIED,
                "site 'site-a' has been revoked by the consortium operator");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void anUploadOfASiteRevokedMidStreamIsEndedAtItsNextMessage() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        UploadStream stream = UploadStream.open(coordinator.as("site-a")).send(headerOfA()).send(data(delta, 0, 8));
        await("the first 8 bytes held").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(this::heldOfA, held -> held >= 8);
        revokeA();

        assertRefused(stream.send(data(delta, 8, 16)).complete().outcome(), Status.Code.PERMISSION_DENIED,
                "has been revoked");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }
}
