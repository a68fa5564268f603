package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.eval.LearningWarning.Kind;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warnings a round carries: its sites' classes, its training loss against a constant guess, its held-out set. */
class RoundWarningsTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin BOTH = new SiteJoin("test", "cpu()", Map.of(0, 6L, 1, 4L));
    private static final SiteJoin ONLY_POSITIVE = new SiteJoin("test", "cpu()", Map.of(0, 0L, 1, 5L));

    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    /** Each site balanced by its own counts, so a site of one class keeps weight 1 and a constant loss of 0. */
    private static final LossConfig PER_SITE_BALANCED = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2,
            LossConfig.ClassWeighting.BALANCED);

    private void start(int localEpochs, int rounds) {
        start(localEpochs, rounds, PER_SITE_BALANCED);
    }

    private void start(int localEpochs, int rounds, LossConfig loss) {
        TensorSet w = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 1f})));
        run = new FederationRun(new FederationPlan("warn", 2, rounds, SPEC,
                new FederationPlan.TrainingPlan(localEpochs, 0.01, 0, 7, loss), false),
                GlobalModel.of(0, SPEC, w),
                weights -> BinaryMetrics.of(new int[] {0, 1, 1}, new float[] {0.2f, 0.8f, 0.4f}), new FedAvg(),
                new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        completed.add(result);
                    }
                });
        run.start();
    }

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    private void round(int round, double lossA, double lossB) throws InterruptedException {
        run.submit("a", update(round, lossA, 10));
        run.submit("b", update(round, lossB, 5));
        assertThat(run.awaitModelVersion(round, Duration.ofSeconds(10))).isTrue();
    }

    private static IncomingUpdate update(int round, double loss, long bags) {
        TensorSet delta = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {0f, 0f})));
        byte[] bytes = TensorCodec.encode(delta);
        return new IncomingUpdate(round, round - 1, Sha256.of(bytes), bags, loss, delta.specs(), bytes);
    }

    private List<Kind> kinds(int round) {
        return completed.get(round).warnings().stream().map(LearningWarning::kind).toList();
    }

    @Test
    void aLossAtLnTwoIsFlaggedOnceFiveEpochsAreDoneAndASiteOfOneClassEveryRound() throws Exception {
        start(3, 2);
        run.join("a", BOTH);
        run.join("b", ONLY_POSITIVE);
        // a: balanced, constant loss ln 2, 10 bags; b: one class, constant loss 0, 5 bags → bar (2/3) ln 2 = 0.4621;
        // the round's loss (0.69·10 + 0.02·5) / 15 = 0.4667
        round(1, 0.69, 0.02);
        round(2, 0.69, 0.02);

        assertThat(kinds(0)).as("the initial model: only its held-out set is judged").containsExactly(Kind.SMALL_SET);
        assertThat(kinds(1)).as("3 epochs: too early to judge the loss")
                .containsExactly(Kind.SMALL_SET, Kind.SITE_SINGLE_CLASS);
        assertThat(kinds(2)).containsExactly(Kind.SMALL_SET, Kind.SITE_SINGLE_CLASS, Kind.LOSS_AT_CONSTANT_PREDICTOR);
        assertThat(completed.get(2).warnings().get(1).message()).startsWith("site b: all 5 of its bags are positive");
        assertThat(completed.get(2).warnings().get(2).message()).startsWith("training loss 0.4667 after 6 epochs is "
                + "no better than a constant guess (0.4621)");
    }

    @Test
    void aFallingLossOnSitesOfBothClassesRaisesNoTrainingWarning() throws Exception {
        start(5, 2);
        run.join("a", BOTH);
        run.join("b", BOTH);
        round(1, 0.60, 0.55);
        round(2, 0.40, 0.35);

        assertThat(kinds(1)).containsExactly(Kind.SMALL_SET);
        assertThat(kinds(2)).containsExactly(Kind.SMALL_SET);
    }

    @Test
    void underFederationWeightsEachSitesConstantGuessIsWeighedByTheFederationsCounts() throws Exception {
        start(3, 2, LossConfig.DEFAULT);
        run.join("a", BOTH);
        run.join("b", ONLY_POSITIVE);
        round(1, 0.69, 0.02);
        round(2, 0.69, 0.02);
        // the federation: 6 negatives, 9 positives, so w0 = 15/12 = 1.25 and w1 = 15/18; site a (6, 4) guesses
        // p = 3.33/10.83 at a loss of 0.6687 a bag, site b (positives only) 0: the bar (10 · 0.6687) / 15 = 0.4458
        assertThat(completed.get(2).warnings().get(2).message()).startsWith("training loss 0.4667 after 6 epochs is "
                + "no better than a constant guess (0.4458)");
    }
}
