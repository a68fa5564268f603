package org.fedmil.coordinator.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.coordinator.round.HeldOutReport;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** The held-out report of a real model: the same metrics as evaluate, the AUC's interval, the scores judged. */
class DjlHeldOutEvaluationTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 4, 6, 3);

    private static List<Bag> bags(int count) {
        Random rng = new Random(5);
        List<Bag> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] x = new float[3 * 4];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) rng.nextGaussian() + (i % 2) * 2f;
            }
            out.add(new Bag("h" + i, i % 2, 3, 4, x));
        }
        return out;
    }

    /** Every weight zero: every bag gets the same logit, whatever it holds. */
    private static TensorSet zeros(TensorSet like) {
        List<NamedTensor> tensors = new ArrayList<>();
        for (NamedTensor t : like.tensors()) {
            tensors.add(new NamedTensor(t.name(), t.shape(), new float[t.values().length]));
        }
        return new TensorSet(tensors);
    }

    @Test
    void aModelThatScoresEveryBagAlikeIsFlaggedAndItsIntervalIsComputedFromTheSameScores() {
        List<Bag> bags = bags(40);
        try (MilModel model = MilModel.create(SPEC, 3);
             DjlHeldOutEvaluation evaluation = new DjlHeldOutEvaluation(MilModel.create(SPEC, 9), bags)) {
            TensorSet constant = zeros(model.weights());

            HeldOutReport trained = evaluation.report(constant, true);
            HeldOutReport initial = evaluation.report(constant, false);

            assertThat(trained.metrics()).isEqualTo(evaluation.evaluate(constant));
            assertThat(trained.metrics().auc()).isEqualTo(0.5);
            assertThat(trained.aucCi().lower()).isEqualTo(0.5);
            assertThat(trained.warnings()).extracting(LearningWarning::kind)
                    .containsExactly(LearningWarning.Kind.NEAR_CONSTANT_SCORES, LearningWarning.Kind.CHANCE_LEVEL_AUC);
            assertThat(initial.warnings()).as("an untrained model's scores are not judged").isEmpty();
        }
    }

    @Test
    void aHeldOutSetOfOneClassHasNoAucNoIntervalAndSaysSo() {
        List<Bag> positives = bags(20).stream().filter(b -> b.label() == 1).toList();
        try (MilModel model = MilModel.create(SPEC, 3);
             DjlHeldOutEvaluation evaluation = new DjlHeldOutEvaluation(MilModel.create(SPEC, 9), positives)) {
            HeldOutReport r = evaluation.report(model.weights(), false);

            assertThat(r.metrics().auc()).isNaN();
            assertThat(r.aucCi().isDefined()).isFalse();
            assertThat(r.warnings()).extracting(LearningWarning::kind)
                    .containsExactly(LearningWarning.Kind.SINGLE_CLASS, LearningWarning.Kind.SMALL_SET);
            assertThat(BinaryMetrics.of(new int[] {1}, new float[] {0.5f}).auc()).isNaN();
        }
    }
}
