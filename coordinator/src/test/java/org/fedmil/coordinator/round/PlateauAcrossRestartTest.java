package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reduce-on-plateau decided by the coordinator: the rate of a round comes from the held-out losses of the rounds
 * before it, which the state folder's metrics.json keeps, so a coordinator restarted from that folder sends the
 * same rates as one that never stopped. Runs the real {@link StateStore} and {@link FederationRun} resume path.
 */
class PlateauAcrossRestartTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    /** Held-out losses of rounds 0..5: improve, improve, worse, worse (halve), improve, worse. */
    private static final double[] LOSSES = {0.70, 0.60, 0.61, 0.62, 0.55, 0.56};
    private static final FederationPlan PLAN = new FederationPlan("plateau", 1, 8, SPEC,
            new FederationPlan.TrainingPlan(1, 0.1, 0, 7, LossConfig.DEFAULT, null, 0,
                    org.fedmil.tensor.DeltaEncoding.FLOAT32, OptimizerConfig.ADAM, 1,
                    LearningRateSchedule.reduceOnPlateau(0.5, 1, 0, 0)), false);

    @TempDir
    Path dir;

    private static RoundResult round(int r, GlobalModel model) {
        BinaryMetrics metrics = new BinaryMetrics(10, 0.8, 0.7, 0.7, 0.7, LOSSES[r]);
        return new RoundResult(r, model.version(), Sha256.hex(model.sha256()), List.of(), 10, 0.5, metrics, 1.0);
    }

    private static GlobalModel model(int version) {
        return GlobalModel.of(version, SPEC, new TensorSet(List.of(new NamedTensor("w", new long[] {2},
                new float[] {version, -version}))));
    }

    private static List<Double> lossesBefore(List<RoundResult> history, int round) {
        return history.stream().filter(r -> r.round() < round).map(r -> r.heldout().loss()).toList();
    }

    @Test
    void theRatesAfterARestartAreTheRatesWithoutOneAndTheHandComputedOnes() {
        // rounds 0..3 completed, then the coordinator stops
        StateStore before = new StateStore(dir);
        before.saveFederation(PLAN);
        List<RoundResult> history = new java.util.ArrayList<>();
        for (int r = 0; r <= 3; r++) {
            GlobalModel m = model(r);
            before.saveModel(m);
            RoundResult result = round(r, m);
            before.saveRound(result);
            history.add(result);
        }
        double round4Before = PLAN.training().roundLearningRate(lossesBefore(history, 4));

        // a new coordinator process on the same folder
        StateStore after = new StateStore(dir);
        Resume resume = after.resume("plateau", SPEC, model(0).weights().specs()).orElseThrow();
        FederationRun restarted = new FederationRun(PLAN, model(0), resume, w -> {
            throw new AssertionError("a resumed run evaluates nothing again");
        }, new FedAvg(), new RoundListener() { });
        restarted.start();
        assertThat(resume.nextRound()).isEqualTo(4);
        double round4After = PLAN.training().roundLearningRate(lossesBefore(restarted.history(), 4));

        // 0.70 best, 0.60 best, 0.61 bad 1, 0.62 bad 2 > patience 1: halved before round 4
        assertThat(round4After).isEqualTo(round4Before);
        assertThat(round4After).isCloseTo(0.05, within(1e-15));
        assertThat(PLAN.training().roundLearningRate(lossesBefore(restarted.history(), 3))).isCloseTo(0.1, within(1e-15));
    }

    @Test
    void theConstantScheduleSendsTheConfiguredRateWhateverTheHistory() {
        FederationPlan.TrainingPlan constant = new FederationPlan.TrainingPlan(1, 0.1, 0, 7, LossConfig.DEFAULT);
        assertThat(constant.roundLearningRate(List.of(0.7, 0.8, 0.9, 1.0))).isEqualTo(0.1);
    }
}
