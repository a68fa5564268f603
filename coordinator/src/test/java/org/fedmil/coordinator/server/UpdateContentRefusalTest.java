package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.delta;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.RobustStrategy;
import org.fedmil.coordinator.round.Task;
import org.fedmil.proto.v1.SecAggUpload;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads whose header passed but whose bytes or claims the round refuses once they all arrived, over real gRPC in
 * process: nothing of them is folded into the round, and their spooled bytes are dropped.
 */
@Timeout(60)
class UpdateContentRefusalTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;

    private InProcessCoordinator start(InProcessCoordinator.Settings settings, String... sites) throws Exception {
        coordinator = new InProcessCoordinator(dir, settings).join(sites);
        return coordinator;
    }

    private InProcessCoordinator start() throws Exception {
        return start(InProcessCoordinator.Settings.defaults(), "site-a", "site-b");
    }

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private UploadStream.Outcome uploadAs(String site, UpdateHeader.Builder h, byte[] bytes) throws Exception {
        return upload(coordinator.as(site), signed(h, coordinator.key(site), site), data(bytes));
    }

    /** Nothing of the refused upload was kept or counted, and the refusal was recorded as {@code kind}. */
    private void assertNothingFoldedAndRecordedAs(String kind) throws Exception {
        try (var files = Files.list(coordinator.spoolDir())) {
            assertThat(files.count()).as("files in the upload spool").isZero();
        }
        assertThat(coordinator.run.updatesReceived()).isZero();
        assertThat(coordinator.refusals).singleElement().asString().startsWith(kind + ":");
    }

    @Test
    void bytesThatDoNotHashToTheHeadersSha256AreRefused() throws Exception {
        start();
        byte[] sent = smallDelta();
        byte[] declared = delta(0.1f, -0.2f, 0.3f, 0.4f);
        UploadStream.Outcome o = uploadAs("site-a", header(1, declared), sent);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "delta SHA-256 mismatch: the header says");
        assertThat(o.status().getDescription()).contains("send it again");
        assertNothingFoldedAndRecordedAs("SHA256_MISMATCH");
    }

    @Test
    void aDeltaSha256OfTheWrongLengthIsRefused() throws Exception {
        start();
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes).setDeltaSha256(ByteString.copyFrom(new byte[31])),
                bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the update header's delta_sha256 has 31 bytes; a SHA-256 has 32");
        assertNothingFoldedAndRecordedAs("SHA256_MISMATCH");
    }

    @Test
    void tensorsOfTheModelsSizeUnderAnotherNameAreRefusedAsWrongTensors() throws Exception {
        start();
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes).clearTensors()
                .addAllTensors(Wire.toProto(List.of(new TensorSpec("v", new long[] {4})))), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "update tensors do not match the federation's model: tensor 1 is");
        assertNothingFoldedAndRecordedAs("WRONG_TENSORS");
    }

    @Test
    void aNonPositiveBagCountIsRefusedAsBadHeaderValues() throws Exception {
        start();
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes).setNumTrainingBags(0), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "num_training_bags must be positive, got 0");
        assertNothingFoldedAndRecordedAs("BAD_HEADER_VALUES");
    }

    @Test
    void aTrainLossThatIsNotFiniteIsRefusedAsBadHeaderValues() throws Exception {
        start();
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes).setTrainLoss(Double.NaN), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "train_loss is NaN; local training diverged");
        assertNothingFoldedAndRecordedAs("BAD_HEADER_VALUES");
    }

    @Test
    void aDeltaHoldingANaNIsRefusedAsNonFinite() throws Exception {
        start();
        byte[] bytes = delta(0.1f, Float.NaN, 0.3f, 0.4f);
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "tensor 'w' holds a NaN or infinite value");
        assertNothingFoldedAndRecordedAs("NON_FINITE");
    }

    @Test
    void aDeltaBeyondTheNormBoundIsRefused() throws Exception {
        start();
        byte[] bytes = delta(10f, 10f, 10f, 10f);
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the delta's L2 norm 20.00 exceeds the federation's bound "
                + "limits.max_update_l2_norm = 10.00");
        assertNothingFoldedAndRecordedAs("NORM_EXCEEDED");
    }

    @Test
    void anUpdateTrainedFromAnotherModelVersionIsRefusedAsStale() throws Exception {
        start();
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes).setBaseModelVersion(7), bytes);

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "update was trained from model version 7 but round 1 trains "
                + "from version 0");
        assertNothingFoldedAndRecordedAs("STALE_BASE_MODEL");
    }

    @Test
    void aSecondDifferentUpdateOfTheSameSiteInARoundIsRefusedAsDuplicate() throws Exception {
        start();
        byte[] first = smallDelta();
        assertThat(uploadAs("site-a", header(1, first), first).status().isOk()).isTrue();
        byte[] second = delta(0.5f, 0.5f, 0.5f, 0.5f);
        UploadStream.Outcome o = uploadAs("site-a", header(1, second), second);

        assertRefused(o, Status.Code.ALREADY_EXISTS, "site 'site-a' already submitted update");
        assertThat(o.status().getDescription()).contains("a retry must resend the same bytes");
        assertThat(coordinator.run.updatesReceived()).as("the first update only").isEqualTo(1);
        assertThat(coordinator.refusals).singleElement().asString().startsWith("DUPLICATE:");
    }

    @Test
    void anUpdateBeyondWhatTheRoundsAggregatorHoldsIsRefusedAsAggregatorFull() throws Exception {
        start(InProcessCoordinator.Settings.defaults().aggregator(RobustStrategy.median(1)),
                "site-a", "site-b");
        byte[] bytes = smallDelta();
        assertThat(uploadAs("site-a", header(1, bytes), bytes).status().isOk()).isTrue();
        UploadStream.Outcome o = uploadAs("site-b", header(1, bytes), bytes);

        assertRefused(o, Status.Code.RESOURCE_EXHAUSTED, "this round already holds 1 updates, the bound "
                + "strategy.max_buffered_updates");
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
        assertThat(coordinator.refusals).singleElement().asString().startsWith("AGGREGATOR_FULL:");
    }

    // --- securely aggregated rounds (sites a, b and c)

    private InProcessCoordinator startSecure() throws Exception {
        return start(InProcessCoordinator.Settings.defaults().minSites(3).secured(), "site-a", "site-b", "site-c");
    }

    /** Drives every site through the key advertisement and sharing steps; returns the round's fractional bits. */
    private int toMaskStep(String... sites) throws Exception {
        Map<String, SecAggClient> clients = new HashMap<>();
        for (String s : sites) {
            Task.SecAggAdvertise a = (Task.SecAggAdvertise) coordinator.run.nextTask(s, Duration.ZERO);
            SecAggClient c = new SecAggClient(s, a.parameters(), new RosterAuthentication(coordinator.key(s),
                    coordinator.certificate(s), coordinator.ca().certificate(), Clock.systemUTC()), new SecureRandom());
            clients.put(s, c);
            coordinator.run.secAggAdvertise(s, a.parameters().round(), c.advertise());
        }
        for (String s : sites) {
            Task.SecAggShare share = (Task.SecAggShare) coordinator.run.nextTask(s, Duration.ZERO);
            coordinator.run.secAggShare(s, share.round(), clients.get(s).shareKeys(share.roster()));
        }
        int f = -1;
        for (String s : sites) {
            f = ((Task.SecAggMask) coordinator.run.nextTask(s, Duration.ZERO)).parameters().fractionalBits();
        }
        return f;
    }

    private static UpdateHeader.Builder masked(byte[] bytes, int fractionalBits) {
        return header(1, bytes).setSecureAggregation(SecAggUpload.newBuilder().setFractionalBits(fractionalBits));
    }

    @Test
    void aMaskedUploadBeforeTheRoundsMaskStepIsRefused() throws Exception {
        startSecure();
        byte[] bytes = new byte[32];
        UploadStream.Outcome o = uploadAs("site-a", masked(bytes, 16), bytes);

        assertRefused(o, Status.Code.FAILED_PRECONDITION, "the secure aggregation of round 1 is at step advertise, "
                + "not mask");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void aMaskedUploadEncodedWithOtherFractionalBitsThanTheRoundsIsRefused() throws Exception {
        startSecure();
        int f = toMaskStep("site-a", "site-b", "site-c");
        byte[] bytes = new byte[32];
        UploadStream.Outcome o = uploadAs("site-a", masked(bytes, f - 1), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "says it was encoded with fractional_bits = " + (f - 1)
                + ", but this round's secure aggregation encodes with f = " + f);
        assertNothingFoldedAndRecordedAs("BAD_HEADER_VALUES");
    }

    @Test
    void aPlainUploadToASecurelyAggregatedRoundIsRefusedAsMalformed() throws Exception {
        startSecure();
        toMaskStep("site-a", "site-b", "site-c");
        byte[] bytes = smallDelta();
        UploadStream.Outcome o = uploadAs("site-a", header(1, bytes), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "round 1 is securely aggregated: the coordinator takes only "
                + "masked uploads");
        assertNothingFoldedAndRecordedAs("MALFORMED");
    }

    @Test
    void aMaskedUploadWithTheRoundsFractionalBitsIsAccepted() throws Exception {
        startSecure();
        int f = toMaskStep("site-a", "site-b", "site-c");
        byte[] bytes = new byte[32];
        UploadStream.Outcome o = uploadAs("site-a", masked(bytes, f), bytes);

        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
        assertThat(o.receipt().getUpdatesReceived()).isEqualTo(1);
    }
}
