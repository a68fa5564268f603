package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A train task carries the bags per label of the round's sites as they joined, summed, so that under
 * class_weights "federation" every site weighs a class by the whole federation's counts; no site's own counts.
 */
class FederationLabelsInTrainTaskTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    @TempDir
    Path dir;

    @Test
    void theTrainTaskCarriesTheParticipantsSummedLabelCounts() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials c = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        LossConfig federation = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.FEDERATION);
        FederationPlan plan = new FederationPlan("labels", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.1, 0, 7, federation), false);
        TensorSet weights = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1, -1})));
        try (RoundLog log = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(c.key()),
                PemFiles.readCertificate(c.cert()));
             FederationRun fed = new FederationRun(plan, GlobalModel.of(0, SPEC, weights),
                     w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.4f, 0.6f}), new FedAvg(),
                     new RoundListener() { })) {
            TaskMessages messages = new TaskMessages(fed, new AuditTrail(log));
            fed.start();
            fed.join("a", new SiteJoin("test", "cpu()", Map.of(0, 25L, 1, 3L)));
            fed.join("b", new SiteJoin("test", "cpu()", Map.of(0, 35L, 1, 37L)));

            Task.Train forA = (Task.Train) fed.nextTask("a", Duration.ZERO);
            assertThat(forA.federationLabels()).isEqualTo(new LabelCounts(60, 40));
            TrainingConfig config = messages.toProto(forA).getTrain().getConfig();
            assertThat(config.getClassWeights()).isEqualTo("federation");
            assertThat(config.getFederationNegativeBags()).isEqualTo(60);
            assertThat(config.getFederationPositiveBags()).isEqualTo(40);
            Task.Train forB = (Task.Train) fed.nextTask("b", Duration.ZERO);
            assertThat(forB.federationLabels()).isEqualTo(forA.federationLabels());
        }
    }

    @Test
    void aSiteDeclaringABillionNegativesCountsOnlyUpToTheShareCapInTheClassTotals() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials c = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        LossConfig federation = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.FEDERATION);
        FederationPlan plan = new FederationPlan("labels", 3, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.1, 0, 7, federation), false);
        TensorSet weights = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1, -1})));
        try (RoundLog log = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(c.key()),
                PemFiles.readCertificate(c.cert()));
             FederationRun fed = new FederationRun(plan, GlobalModel.of(0, SPEC, weights),
                     w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.4f, 0.6f}), new FedAvg(),
                     new RoundListener() { })) {
            fed.start();
            fed.join("a", new SiteJoin("test", "cpu()", Map.of(0, 60L, 1, 40L)));
            fed.join("b", new SiteJoin("test", "cpu()", Map.of(0, 50L, 1, 50L)));
            fed.join("hostile", new SiteJoin("test", "cpu()", Map.of(0, 1_000_000_000L, 1, 0L)));

            Task.Train forA = (Task.Train) fed.nextTask("a", Duration.ZERO);

            // with the default share cap ½ the hostile site weighs 200 (half the round): its labels count as 200
            // negatives, not 10⁹, so positives keep 90 of 460 bags' weight instead of 90 of 10⁹
            assertThat(forA.federationLabels()).isEqualTo(new LabelCounts(310, 90));
        }
    }
}
