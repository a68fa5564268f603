package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.delta;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.RecordSchema;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.UpdateHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How much one site can move the model, over real gRPC in process: its FedAvg weight is bounded by the bags it
 * declared at join, and by the round's share cap; its delta's norm by a multiple of the previous round's median;
 * every total of bag counts is checked arithmetic, refused rather than wrapped.
 */
@Timeout(60)
class SiteInfluenceBoundsTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private void joinDeclaring(String site, long negatives, long positives) {
        coordinator.blockingAs(site).join(JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(negatives))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(positives)).build());
    }

    private UploadStream.Outcome send(String site, UpdateHeader.Builder h, byte[] bytes) throws Exception {
        return upload(coordinator.as(site), signed(h, coordinator.key(site), site), data(bytes));
    }

    private List<LogRecords.Line> log(String type) throws Exception {
        return LogRecords.readAll(dir.resolve("round-log.jsonl")).ofType(type);
    }

    @Test
    void anUploadClaimingTenToTheTwelveBagsAfterDeclaringFiveIsRefusedBeforeAnythingIsStored() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        byte[] bytes = UploadStream.smallDelta();

        UploadStream.Outcome o = send("site-a", header(1, bytes).setNumTrainingBags(1_000_000_000_000L), bytes);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "site 'site-a' claims num_training_bags = 1000000000000 for "
                + "round 1 but declared 5 bags when it joined");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("OVER_DECLARED:");
        assertThat(coordinator.run.updatesReceived()).isZero();
        try (var files = Files.list(coordinator.spoolDir())) {
            assertThat(files.count()).as("files in the upload spool").isZero();
        }
        assertThat(log(RecordSchema.UPDATE_REFUSED)).singleElement()
                .satisfies(l -> assertThat(l.fields()).containsEntry("code", "OVER_DECLARED"));
        // the same site claiming what it declared is then taken
        assertThat(send("site-a", header(1, bytes).setNumTrainingBags(5), bytes).status().isOk()).isTrue();
    }

    @Test
    void oneSiteDeclaringAThousandBagsBesideTwoOfTenWeighsHalfTheRoundAndTheRoundLogSaysSo() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults().minSites(3));
        joinDeclaring("site-a", 500, 500);
        joinDeclaring("site-b", 5, 5);
        joinDeclaring("site-c", 5, 5);
        byte[] moved = delta(1f, 1f, 1f, 1f);
        byte[] still = delta(0f, 0f, 0f, 0f);

        assertThat(send("site-a", header(1, moved).setNumTrainingBags(1000), moved).status().isOk()).isTrue();
        assertThat(send("site-b", header(1, still).setNumTrainingBags(10), still).status().isOk()).isTrue();
        assertThat(send("site-c", header(1, still).setNumTrainingBags(10), still).status().isOk()).isTrue();
        assertThat(coordinator.run.awaitModelVersion(1, Duration.ofSeconds(20))).isTrue();

        // the cap c = ½ · (min(1000, c) + 10 + 10) = 20: weights 20, 10, 10, so site a moves the model by ½ its delta
        // (uncapped FedAvg: 1000/1020 of it)
        float[] w = coordinator.run.currentModel().weights().tensors().get(0).values();
        assertThat(w).containsExactly(1.5f, 1.5f, 1.5f, 1.5f);
        Map<String, Object> aggregated = log(RecordSchema.ROUND_AGGREGATED).get(0).fields();
        assertThat(aggregated).containsEntry("effective_weights", Map.of("site-a", 20, "site-b", 10, "site-c", 10))
                .containsEntry("weight_cap", 20).containsEntry("training_bags", 1020);
        assertThat(log(RecordSchema.UPDATE_ACCEPTED).get(0).fields()).containsEntry("weight", 20)
                .containsEntry("training_bags", 1000);
    }

    @Test
    void aDeclarationThatCouldOverflowATotalIsRefusedAtJoinNotWrapped() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults());

        StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> joinDeclaring("site-a", Long.MAX_VALUE, 1), StatusRuntimeException.class);

        // refused by the join's own bounds (each count 0..10^9), before any total is formed; the round's checked
        // sums behind it are pinned in RoundWeightsTest
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("declares " + Long.MAX_VALUE + " bags of label 0")
                .contains("between 0 and 1000000000");
        assertThat(coordinator.run.joinedSites()).isEmpty();
    }

    @Test
    void anUpdateTenTimesThePreviousRoundsMedianNormIsRefusedAsNormOutlier() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        byte[] small = delta(0.1f, 0.1f, 0.1f, 0.1f); // norm 0.2
        assertThat(send("site-a", header(1, small), small).status().isOk()).isTrue();
        assertThat(send("site-b", header(1, small), small).status().isOk()).isTrue();
        assertThat(coordinator.run.awaitModelVersion(1, Duration.ofSeconds(20))).isTrue();
        GlobalModel v1 = coordinator.run.currentModel();
        byte[] large = delta(1.5f, 1.5f, 1.5f, 1.5f); // norm 3: 15 × the median 0.2, under the absolute bound 10

        UploadStream.Outcome o = send("site-a", header(2, large).setBaseModelVersion(1)
                .setBaseModelSha256(ByteString.copyFrom(v1.sha256())), large);

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the delta's L2 norm 3.000 from site 'site-a' exceeds "
                + "strategy.max_norm_to_median = 10.0 times the median norm 0.2000");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("NORM_OUTLIER:");
        byte[] alike = delta(0.2f, 0.2f, 0.2f, 0.2f); // norm 0.4: twice the median, taken
        assertThat(send("site-a", header(2, alike).setBaseModelVersion(1)
                .setBaseModelSha256(ByteString.copyFrom(v1.sha256())), alike).status().isOk()).isTrue();
    }
}
