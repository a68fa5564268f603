package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** Carried optimiser state makes two trainings of one epoch continue as one training of two epochs. */
class OptimizerMemoryTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.MEAN, 16, 32, 16);
    private final LocalTrainer trainer = new LocalTrainer();
    private final List<Bag> oneBag = List.of(LesionBags.generate(4, 16, 5, 30, 1).bags().get(1));

    private static double maxDifference(TensorSet a, TensorSet b) {
        double max = 0;
        for (int t = 0; t < a.tensors().size(); t++) {
            NamedTensor x = a.tensors().get(t);
            NamedTensor y = b.tensors().get(t);
            for (int i = 0; i < x.values().length; i++) {
                max = Math.max(max, Math.abs(x.values()[i] - y.values()[i]));
            }
        }
        return max;
    }

    private TensorSet twoRounds(OptimizerMemory memory) {
        try (MilModel model = MilModel.create(SPEC, 5)) {
            for (int round = 0; round < 2; round++) {
                trainer.train(model, oneBag, new TrainingOptions(1, 0.01, 0, 1), TrainingProgress.NONE,
                        EpochListener.NONE, memory);
            }
            return model.weights();
        }
    }

    @Test
    void twoOneEpochTrainingsWithMemoryAreOneTwoEpochTraining() {
        TensorSet continuous;
        try (MilModel model = MilModel.create(SPEC, 5)) {
            trainer.train(model, oneBag, new TrainingOptions(2, 0.01, 0, 1));
            continuous = model.weights();
        }
        OptimizerMemory memory = new OptimizerMemory();

        TensorSet carried = twoRounds(memory);
        TensorSet fresh = twoRounds(null);

        assertThat(memory.steps()).isEqualTo(2);
        assertThat(maxDifference(carried, continuous)).isLessThan(1e-6);
        // a fresh Adam takes a full ±lr step again in the second round: the weights end elsewhere
        assertThat(maxDifference(fresh, continuous)).isGreaterThan(1e-3);
    }

    @Test
    void clearedMemoryStartsFresh() {
        OptimizerMemory memory = new OptimizerMemory();
        twoRounds(memory);
        memory.clear();
        assertThat(memory.isEmpty()).isTrue();
        // after clear() the first round is a fresh optimiser's, as without memory
        assertThat(maxDifference(oneRound(memory), oneRound(null))).isEqualTo(0);
    }

    private TensorSet oneRound(OptimizerMemory memory) {
        try (MilModel model = MilModel.create(SPEC, 5)) {
            trainer.train(model, oneBag, new TrainingOptions(1, 0.01, 0, 1), TrainingProgress.NONE,
                    EpochListener.NONE, memory);
            return model.weights();
        }
    }
}
