package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Mini-batches of bags by gradient accumulation: with plain SGD one step moves the weights by −η × the gradient
 * it was given, so a step over B bags must move them by −η × the mean of the B bags' own gradients, each of which
 * a one-bag step from the same weights measures.
 */
class GradientAccumulationTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 8, 16, 8);
    private static final OptimizerConfig SGD = new OptimizerConfig(OptimizerConfig.Kind.SGD, 0, false);
    private static final double ETA = 0.05;

    /** The weight change of one epoch over {@code bags} with {@code perStep} bags per step, from seed-7 weights. */
    private static float[] change(List<Bag> bags, int perStep) {
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet before = model.weights();
            TrainingResult r = new LocalTrainer().train(model, bags,
                    new TrainingOptions(1, ETA, 0, 3).withOptimizer(SGD).withBagsPerStep(perStep));
            assertThat(r.steps()).isEqualTo((bags.size() + perStep - 1) / perStep);
            return flatten(model.weights().minus(before));
        }
    }

    private static float[] flatten(TensorSet t) {
        int n = t.tensors().stream().mapToInt(x -> x.values().length).sum();
        float[] out = new float[n];
        int i = 0;
        for (NamedTensor x : t.tensors()) {
            System.arraycopy(x.values(), 0, out, i, x.values().length);
            i += x.values().length;
        }
        return out;
    }

    @Test
    void oneStepOverThreeBagsOfDifferentSizesMovesByTheMeanOfTheirGradients() {
        List<Bag> bags = LesionBags.generate(3, 8, 4, 25, 5).bags();
        assertThat(bags.stream().mapToInt(Bag::instances).distinct().count()).as("bags of different sizes").isGreaterThan(1);
        float[] together = change(bags, 3);
        float[] mean = new float[together.length];
        for (Bag b : bags) {
            float[] alone = change(List.of(b), 1);
            for (int i = 0; i < mean.length; i++) {
                mean[i] += alone[i] / bags.size();
            }
        }
        double norm = 0;
        for (int i = 0; i < mean.length; i++) {
            norm = Math.max(norm, Math.abs(mean[i]));
            assertThat(together[i]).as("weight %d", i).isCloseTo(mean[i], within(2e-6f + 1e-4f * Math.abs(mean[i])));
        }
        assertThat(norm).as("the step moved something").isGreaterThan(1e-4);
    }

    @Test
    void oneBagPerStepTrainsBitForBitAsTheTrainerDidBeforeMiniBatches() {
        List<Bag> bags = LesionBags.generate(12, 8, 4, 25, 8).bags();
        try (MilModel a = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7);
             MilModel b = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            new LocalTrainer().train(a, bags, new TrainingOptions(2, 1e-3, 1e-4, 3));
            new LocalTrainer().train(b, bags, new TrainingOptions(2, 1e-3, 1e-4, 3).withOptimizer(OptimizerConfig.ADAM)
                    .withBagsPerStep(1).withRates(StepRates.constant(1e-3)));
            assertThat(flatten(b.weights())).containsExactly(flatten(a.weights()));
        }
    }
}
