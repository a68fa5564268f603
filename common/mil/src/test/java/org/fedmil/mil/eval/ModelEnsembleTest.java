package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class ModelEnsembleTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 5, 4, 3);

    private static List<Bag> bags(int n) {
        Random rng = new Random(4);
        List<Bag> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int instances = 1 + rng.nextInt(4);
            float[] x = new float[instances * 5];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) rng.nextGaussian();
            }
            out.add(new Bag("b" + i, i % 2, instances, 5, x));
        }
        return out;
    }

    @Test
    void averageIsTheElementWiseMeanOfTheMembers() {
        float[] avg = ModelEnsemble.average(new float[][]{{0.2f, 0.9f, 0.5f}, {0.4f, 0.3f, 0.5f}, {0.9f, 0.0f, 0.2f}});
        assertThat(avg[0]).isCloseTo(0.5f, within(1e-6f));
        assertThat(avg[1]).isCloseTo(0.4f, within(1e-6f));
        assertThat(avg[2]).isCloseTo(0.4f, within(1e-6f));
    }

    @Test
    void theEnsembleScoresEachBagWithTheMeanOfItsMembersProbabilities() {
        List<Bag> bags = bags(6);
        List<TensorSet> members = new ArrayList<>();
        List<float[]> each = new ArrayList<>();
        for (long seed : new long[]{1, 2, 3}) {
            try (MilModel m = MilModel.create(SPEC, seed)) {
                members.add(m.weights());
                each.add(m.predictProbabilities(bags));
            }
        }
        try (MilModel model = MilModel.create(SPEC, 99)) {
            MilModel.Scores s = new ModelEnsemble(members).score(model, bags, Optional.empty());
            assertThat(s.labels()).containsExactly(0, 1, 0, 1, 0, 1);
            for (int i = 0; i < bags.size(); i++) {
                float expected = (each.get(0)[i] + each.get(1)[i] + each.get(2)[i]) / 3;
                assertThat(s.probabilities()[i]).as("bag %d", i).isCloseTo(expected, within(1e-6f));
            }
            // members really differ, so the mean is not any one of them
            assertThat(each.get(0)).isNotEqualTo(each.get(1));
            BinaryMetrics metrics = new ModelEnsemble(members).evaluate(model, bags, Optional.empty());
            assertThat(metrics.auc()).isEqualTo(BinaryMetrics.of(s.labels(), s.probabilities()).auc());
        }
    }

    @Test
    void anEnsembleOfOneIsTheModelItself() {
        List<Bag> bags = bags(4);
        try (MilModel model = MilModel.create(SPEC, 7)) {
            float[] alone = model.predictProbabilities(bags);
            float[] ensemble = new ModelEnsemble(List.of(model.weights())).score(model, bags, Optional.empty())
                    .probabilities();
            assertThat(ensemble).containsExactly(alone);
        }
    }

    @Test
    void emptyEnsemblesAndMembersOfDifferentLengthsAreRefused() {
        assertThatThrownBy(() -> new ModelEnsemble(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one member");
        assertThatThrownBy(() -> ModelEnsemble.average(new float[][]{{0.1f, 0.2f}, {0.3f}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different numbers of bags");
    }
}
