package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * reduce_on_plateau decides from the sites' federated validation loss, never from the held-out loss: here the
 * held-out loss improves every round while the validation loss stalls, and the rate is cut.
 */
class PlateauOnValidationTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    @TempDir
    Path dir;

    private static TensorSet weights(float a) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, -a})));
    }

    private double rateOfRound5(double[] validationLosses) throws Exception {
        Path run = dir.resolve("run-" + validationLosses.length + "-" + (validationLosses[0] < 0 ? "none" : "val"));
        ConsortiumCa ca = ConsortiumCa.init(run.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials c = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        FederationPlan plan = new FederationPlan("plateau", 1, 6, SPEC,
                new FederationPlan.TrainingPlan(1, 0.1, 0, 7, LossConfig.DEFAULT, null, 0,
                        org.fedmil.tensor.DeltaEncoding.FLOAT32, OptimizerConfig.ADAM, 1,
                        LearningRateSchedule.reduceOnPlateau(0.5, 1, 0, 0)), false);
        int[] evaluations = {0};
        try (RoundLog log = RoundLog.open(run.resolve("round-log.jsonl"), PemFiles.readPrivateKey(c.key()),
                PemFiles.readCertificate(c.cert()));
             FederationRun fed = new FederationRun(plan, GlobalModel.of(0, SPEC, weights(1f)), w -> {
                 // the held-out loss falls with every model
                 float p = 0.55f + 0.08f * evaluations[0]++;
                 return BinaryMetrics.of(new int[] {0, 1}, new float[] {1 - p, p});
             }, new FedAvg(), new RoundListener() { })) {
            AuditTrail audit = new AuditTrail(log);
            TaskMessages messages = new TaskMessages(fed, audit);
            fed.start();
            fed.join("a", new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L)));
            for (int r = 1; r <= 4; r++) {
                Task.Train t = (Task.Train) fed.nextTask("a", Duration.ZERO);
                TensorSet delta = weights(0.01f);
                byte[] bytes = TensorCodec.encode(delta);
                IncomingUpdate u = new IncomingUpdate(r, t.model().version(), Sha256.of(bytes), 5, 0.5,
                        delta.specs(), bytes);
                double v = validationLosses[r - 1];
                fed.submit("a", v < 0 ? u : u.withValidation(new ValidationMetrics(3, 2, v, OptionalDouble.empty())));
                assertThat(fed.awaitModelVersion(t.model().version() + 1, Duration.ofSeconds(10))).isTrue();
            }
            Task.Train round5 = (Task.Train) fed.nextTask("a", Duration.ZERO);
            assertThat(round5.round()).isEqualTo(5);
            return messages.toProto(round5).getTrain().getConfig().getLearningRate();
        }
    }

    @Test
    void theRateIsCutWhenTheValidationLossStallsWhileTheHeldOutLossStillImproves() throws Exception {
        // models 0..3: 0.70 best, 0.60 best, 0.61 bad 1, 0.62 bad 2 > patience 1: halved before round 5
        assertThat(rateOfRound5(new double[] {0.70, 0.60, 0.61, 0.62})).isCloseTo(0.05, within(1e-15));
    }

    @Test
    void withoutSiteValidationTheRateStaysPut() throws Exception {
        assertThat(rateOfRound5(new double[] {-1, -1, -1, -1})).isCloseTo(0.1, within(1e-15));
    }
}
