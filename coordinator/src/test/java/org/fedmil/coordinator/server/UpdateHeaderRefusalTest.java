package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.unsigned;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.proto.v1.PrivacyClaim;
import org.fedmil.proto.v1.SecAggUpload;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads refused at their header, over real gRPC in process: nothing of them is stored. Each test starts a
 * federation of two sites, a and b, whose round 1 is open (unless the test says otherwise).
 */
@Timeout(60)
class UpdateHeaderRefusalTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private final byte[] delta = smallDelta();

    private InProcessCoordinator start(InProcessCoordinator.Settings settings) throws Exception {
        coordinator = new InProcessCoordinator(dir, settings).join("site-a", "site-b");
        return coordinator;
    }

    private InProcessCoordinator start() throws Exception {
        return start(InProcessCoordinator.Settings.defaults());
    }

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private UploadStream.Outcome uploadAs(String site, UpdateHeader.Builder h) throws Exception {
        return upload(coordinator.as(site), signed(h, coordinator.key(site), site), data(delta));
    }

    /** Nothing of the refused upload was stored or counted, and the refusal was recorded as {@code kind}. */
    private void assertNothingStoredAndRecordedAs(String kind) throws Exception {
        try (var files = Files.list(coordinator.spoolDir())) {
            assertThat(files.count()).as("files in the upload spool").isZero();
        }
        assertThat(coordinator.run.updatesReceived()).isZero();
        assertThat(coordinator.refusals).singleElement().asString().startsWith(kind + ":");
    }

    @Test
    void anUploadAnnouncingMoreThanMaxUpdateBytesIsRefusedBeforeAnythingIsBuffered() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).setTotalBytes(2L << 30));

        assertRefused(o, Status.Code.RESOURCE_EXHAUSTED, "update announces " + (2L << 30)
                + " bytes, more than limits.max_update_bytes = " + (1L << 30) + "; nothing was buffered");
        assertNothingStoredAndRecordedAs("TOO_LARGE");
    }

    @Test
    void anUnknownDeltaEncodingIsRefusedAsMalformed() throws Exception {
        start();
        // unsigned: a statement cannot be made of an encoding the protocol does not know; the encoding is read first
        UploadStream.Outcome o = upload(coordinator.as("site-a"), unsigned(header(1, delta).setEncodingValue(99)),
                data(delta));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "unknown delta encoding");
        assertNothingStoredAndRecordedAs("MALFORMED");
    }

    @Test
    void aByteCountThatDoesNotFitTheAnnouncedTensorsIsRefusedAsWrongTensors() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).setTotalBytes(12));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "update announces 12 bytes for tensors totalling 16 bytes");
        assertNothingStoredAndRecordedAs("WRONG_TENSORS");
    }

    @Test
    void tensorsOfAnotherSizeThanTheModelsAreRefusedAsWrongTensors() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).clearTensors()
                .addAllTensors(Wire.toProto(List.of(new TensorSpec("w", new long[] {8})))).setTotalBytes(32));

        // a shape larger than the whole model is refused before its size is computed (HeaderTensors)
        assertRefused(o, Status.Code.INVALID_ARGUMENT, "tensor 'w''s shape [8] holds more elements than the whole "
                + "model (4)");
        assertNothingStoredAndRecordedAs("WRONG_TENSORS");
    }

    @Test
    void tensorsSmallerThanTheModelsAreRefusedAsWrongTensorsNamingTheSizes() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).clearTensors()
                .addAllTensors(Wire.toProto(List.of(new TensorSpec("w", new long[] {2})))).setTotalBytes(8));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "(8 as float32); an update of round 1 has 16 bytes as float32");
        assertNothingStoredAndRecordedAs("WRONG_TENSORS");
    }

    @Test
    void aSiteThatNeverJoinedIsRefusedPermissionDenied() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-c", header(1, delta));

        assertRefused(o, Status.Code.PERMISSION_DENIED, "site 'site-c' has not joined this federation");
        assertNothingStoredAndRecordedAs("NOT_JOINED");
    }

    @Test
    void anUpdateForARoundThatIsNotOpenIsRefusedAsRoundClosed() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(2, delta));

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "round 2 is not open for updates (current round 1");
        assertNothingStoredAndRecordedAs("ROUND_CLOSED");
    }

    @Test
    void anUpdateArrivingAfterItsRoundClosedIsRefusedAsTooLate() throws Exception {
        start();
        assertThat(uploadAs("site-a", header(1, delta)).status().isOk()).isTrue();
        assertThat(uploadAs("site-b", header(1, delta)).status().isOk()).isTrue();
        assertThat(coordinator.run.awaitModelVersion(1, java.time.Duration.ofSeconds(20))).as("round 1 closed").isTrue();
        byte[] late = UploadStream.delta(0.2f, 0.2f, 0.2f, 0.2f);

        UploadStream.Outcome o = upload(coordinator.as("site-a"), signed(header(1, late), coordinator.key("site-a"),
                "site-a"), data(late));

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "round 1 is closed");
        assertThat(o.status().getDescription()).contains("the update came too late and was not counted");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("ROUND_CLOSED:");
    }

    @Test
    void aSiteThatJoinedAfterTheRoundStartedIsRefusedAsNotAParticipant() throws Exception {
        start().join("site-c");
        UploadStream.Outcome o = uploadAs("site-c", header(1, delta));

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "site 'site-c' is not a participant of round 1");
        assertNothingStoredAndRecordedAs("NOT_PARTICIPANT");
    }

    @Test
    void anUpdateNamingTheRoundsModelVersionWithOtherBytesIsRefusedAsStale() throws Exception {
        start();
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta)
                .setBaseModelSha256(ByteString.copyFrom(new byte[32])));

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "the update names base model v0 with SHA-256 0000");
        assertThat(o.status().getDescription()).contains("download the round's model again");
        assertNothingStoredAndRecordedAs("STALE_BASE_MODEL");
    }

    @Test
    void anUnsignedUploadIsRefusedAsBadSignature() throws Exception {
        start();
        UploadStream.Outcome o = upload(coordinator.as("site-a"), unsigned(header(1, delta)), data(delta));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the update header's site_signature does not check against "
                + "site 'site-a''s certificate");
        assertNothingStoredAndRecordedAs("BAD_SIGNATURE");
    }

    @Test
    void anUploadSignedWithAnotherSitesKeyIsRefusedAsBadSignature() throws Exception {
        start();
        UpdateChunk byB = signed(header(1, delta), coordinator.key("site-b"), "site-a");
        UploadStream.Outcome o = upload(coordinator.as("site-a"), byB, data(delta));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "site_signature does not check against site 'site-a''s");
        assertNothingStoredAndRecordedAs("BAD_SIGNATURE");
    }

    @Test
    void aHeaderChangedAfterItWasSignedIsRefusedAsBadSignature() throws Exception {
        start();
        UpdateHeader signedHeader = signed(header(1, delta), coordinator.key("site-a"), "site-a").getHeader();
        UpdateChunk changed = UpdateChunk.newBuilder().setHeader(signedHeader.toBuilder().setNumTrainingBags(5000))
                .build();
        UploadStream.Outcome o = upload(coordinator.as("site-a"), changed, data(delta));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "site_signature does not check");
        assertNothingStoredAndRecordedAs("BAD_SIGNATURE");
    }

    @Test
    void anUploadStatingNoPrivacyIsRefusedWhenTheFederationRequiresIt() throws Exception {
        start(InProcessCoordinator.Settings.defaults().dp(1.0, 0.8));
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "federation 'inproc' requires differential privacy "
                + "(clip_norm 1.0, noise_multiplier 0.8) but the update states none");
        assertNothingStoredAndRecordedAs("PRIVACY_NOT_MET");
    }

    @Test
    void anUploadStatingLessNoiseThanTheFederationRequiresIsRefused() throws Exception {
        start(InProcessCoordinator.Settings.defaults().dp(1.0, 0.8));
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).setPrivacy(PrivacyClaim.newBuilder()
                .setClipNorm(1.0).setNoiseMultiplier(0.5).setSamplingRate(1).setDelta(1e-5).setEpsilonSpent(3)));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the update states clip_norm 1.0 and noise_multiplier 0.5; "
                + "federation 'inproc' requires clip_norm at most 1.0 and noise_multiplier at least 0.8");
        assertNothingStoredAndRecordedAs("PRIVACY_NOT_MET");
    }

    @Test
    void anUploadStatingThePrivacyTheFederationRequiresIsAccepted() throws Exception {
        start(InProcessCoordinator.Settings.defaults().dp(1.0, 0.8));
        UploadStream.Outcome o = uploadAs("site-a", header(1, delta).setPrivacy(PrivacyClaim.newBuilder()
                .setClipNorm(1.0).setNoiseMultiplier(0.8).setSamplingRate(1).setDelta(1e-5).setEpsilonSpent(3)));

        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
    }

    @Test
    void aMaskedUploadToARoundThatIsNotSecurelyAggregatedIsRefusedAsMalformed() throws Exception {
        start();
        byte[] masked = new byte[32];
        UploadStream.Outcome o = upload(coordinator.as("site-a"), signed(header(1, masked)
                .setSecureAggregation(SecAggUpload.newBuilder().setFractionalBits(16)), coordinator.key("site-a"),
                "site-a"), data(masked));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "round 1 is not securely aggregated; send the delta itself");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("MALFORMED:");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }
}
