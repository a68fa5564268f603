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
import java.nio.file.Path;
import java.time.Duration;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call but Join needs a joined site, the model download and the upload status included; and an upload whose
 * round closed while it arrived is refused as ROUND_CLOSED and recorded, not reported as a disk problem.
 */
@Timeout(60)
class JoinFirstAndRoundClosedTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        coordinator.close();
    }

    @Test
    void aSiteThatNeverJoinedCannotDownloadTheGlobalModel() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a");

        StatusRuntimeException e = catchThrowableOfType(() -> coordinator.blockingAs("site-x")
                .downloadModel(DownloadModelRequest.newBuilder().setModelVersion(0).build()).forEachRemaining(c -> {
                }), StatusRuntimeException.class);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).contains("site 'site-x' has not joined").contains("call Join first");
        // a joined site still gets it
        assertThat(coordinator.blockingAs("site-a").downloadModel(DownloadModelRequest.newBuilder()
                .setModelVersion(0).build()).hasNext()).isTrue();
    }

    @Test
    void aSiteThatNeverJoinedCannotAskForAnUploadsStatus() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a");

        StatusRuntimeException e = catchThrowableOfType(() -> coordinator.blockingAs("site-x")
                .uploadStatus(UploadStatusRequest.newBuilder().setRound(1)
                        .setDeltaSha256(ByteString.copyFrom(new byte[32])).build()), StatusRuntimeException.class);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).contains("call Join first");
    }

    @Test
    void anUploadWhoseRoundClosedUnderItIsRefusedAsRoundClosedAndRecorded() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults())
                .join("site-a", "site-b");
        byte[] delta = smallDelta();
        UploadStream slow = UploadStream.open(coordinator.as("site-a"))
                .send(signed(header(1, delta), coordinator.key("site-a"), "site-a")).send(data(delta, 0, 8));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(coordinator.blockingAs("site-a").uploadStatus(UploadStatusRequest.newBuilder()
                        .setRound(1).setDeltaSha256(ByteString.copyFrom(Sha256.of(delta))).build())
                        .getAcknowledgedBytes()).isEqualTo(8));
        // round 1 closes without site a: it leaves, and site b's update completes the round
        coordinator.blockingAs("site-a").leave(LeaveRequest.newBuilder().setReason("going").build());
        assertThat(upload(coordinator.as("site-b"), signed(header(1, delta), coordinator.key("site-b"), "site-b"),
                data(delta)).status().isOk()).isTrue();
        assertThat(coordinator.run.awaitModelVersion(1, Duration.ofSeconds(20))).isTrue();
        // an upload of round 2 clears the spool of round 1's partial uploads
        byte[] next = UploadStream.delta(0.01f, 0.02f, 0.03f, 0.04f);
        assertThat(upload(coordinator.as("site-b"), signed(header(2, next).setBaseModelVersion(1)
                .setBaseModelSha256(ByteString.copyFrom(coordinator.run.currentModel().sha256())),
                coordinator.key("site-b"), "site-b"), data(next)).status().isOk()).isTrue();

        UploadStream.Outcome o = slow.send(data(delta, 8, 16)).complete().outcome();

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "round 1 closed while this update arrived");
        assertThat(coordinator.refusals).anySatisfy(r -> assertThat(r).startsWith("ROUND_CLOSED: round 1 closed"));
    }
}
