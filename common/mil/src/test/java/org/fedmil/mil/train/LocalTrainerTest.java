package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalTrainerTest {

    private static final int DIM = 16;
    private static final ModelSpec ATTENTION_SPEC = new ModelSpec(Architecture.ATTENTION, DIM, 32, 16);

    private final LocalTrainer trainer = new LocalTrainer();
    private final LesionBags train = LesionBags.generate(200, DIM, 5, 30, 1);
    private final LesionBags test = LesionBags.generate(100, DIM, 5, 30, 2);

    /** One ATTENTION model trained on the lesion problem, shared because training is the slow part. */
    private MilModel trained;
    private BinaryMetrics before;
    private TrainingResult result;

    @BeforeAll
    void trainOnTheLesionProblem() {
        trained = MilModel.create(ATTENTION_SPEC, Engine.getInstance().defaultDevice(), 7);
        before = trained.evaluate(train.bags());
        result = trainer.train(trained, train.bags(), new TrainingOptions(8, 1e-3, 0, 11));
    }

    @AfterAll
    void close() {
        trained.close();
    }

    @Test
    void trainingReducesTheLossAndReportsItsWork() {
        BinaryMetrics after = trained.evaluate(train.bags());

        assertThat(result.bags()).isEqualTo(200);
        assertThat(result.steps()).isEqualTo(8 * 200);
        assertThat(result.elapsed()).isPositive();
        assertThat(before.loss()).isGreaterThan(0.6);
        assertThat(result.meanLoss()).isLessThan(before.loss() / 3);
        assertThat(after.loss()).isLessThan(before.loss() / 3);
    }

    @Test
    void theTrainedModelSeparatesUnseenBags() {
        BinaryMetrics metrics = trained.evaluate(test.bags());

        assertThat(metrics.auc()).isGreaterThanOrEqualTo(0.95);
        assertThat(metrics.accuracy()).isGreaterThanOrEqualTo(0.85);
    }

    @Test
    void attentionFindsTheLesionInMostPositiveBags() {
        int positives = 0;
        int found = 0;
        for (int b = 0; b < test.bags().size(); b++) {
            Bag bag = test.bags().get(b);
            float[] attention = trained.attentionWeights(bag);
            double sum = 0;
            for (float a : attention) {
                sum += a;
            }
            assertThat(sum).isCloseTo(1.0, within(1e-5));
            if (bag.label() == 1) {
                positives++;
                found += argmax(attention) == test.lesionIndex()[b] ? 1 : 0;
            }
        }
        assertThat((double) found / positives).isGreaterThanOrEqualTo(0.8);
    }

    /** Also shows the optimizer starts fresh each call: leftover Adam moments would change the second run. */
    @Test
    void trainingFromTheSameWeightsWithTheSameOptionsIsBitReproducible() {
        List<Bag> bags = train.bags().subList(0, 40);
        TrainingOptions options = new TrainingOptions(2, 5e-3, 1e-4, 3);
        try (MilModel model = MilModel.create(spec(Architecture.GATED_ATTENTION), 5)) {
            TensorSet start = model.weights();
            TrainingResult first = trainer.train(model, bags, options);
            TensorSet afterFirst = model.weights();
            model.setWeights(start);
            TrainingResult second = trainer.train(model, bags, options);

            assertThat(afterFirst).isNotEqualTo(start);
            assertThat(model.weights()).isEqualTo(afterFirst);
            assertThat(second.meanLoss()).isEqualTo(first.meanLoss());
        }
    }

    /** Adam's first step is lr · g / (|g| + ε): every weight with a gradient moves by the learning rate. */
    @Test
    void theFirstStepIsAnAdamStep() {
        Bag positive = train.bags().get(1);
        // mean pooling: under attention, V and U get no gradient in the first step, through the zero-initialised w
        try (MilModel model = MilModel.create(spec(Architecture.MEAN), 5)) {
            TensorSet before = model.weights();
            trainer.train(model, List.of(positive), new TrainingOptions(1, 0.01, 0, 1));
            TensorSet delta = model.weights().minus(before);

            int moved = 0;
            int total = 0;
            for (NamedTensor t : delta.tensors()) {
                for (float d : t.values()) {
                    assertThat(Math.abs(d)).as(t.name()).isLessThanOrEqualTo(0.01f + 1e-6f);
                    moved += Math.abs(Math.abs(d) - 0.01f) < 1e-4f ? 1 : 0;
                    total++;
                }
            }
            assertThat((double) moved / total).isGreaterThan(0.8);
            // a positive bag pushes the logit up, and the bias has a gradient for sure
            assertThat(delta.get("classifier.bias").values()[0]).isCloseTo(0.01f, within(1e-6f));
        }
    }

    @Test
    void anotherShuffleSeedTakesAnotherPath() {
        List<Bag> bags = train.bags().subList(0, 40);
        try (MilModel a = MilModel.create(ATTENTION_SPEC, 5); MilModel b = MilModel.create(ATTENTION_SPEC, 5)) {
            trainer.train(a, bags, new TrainingOptions(1, 5e-3, 0, 1));
            trainer.train(b, bags, new TrainingOptions(1, 5e-3, 0, 2));

            assertThat(a.weights()).isNotEqualTo(b.weights());
        }
    }

    @Test
    void weightDecayShrinksTheWeights() {
        List<Bag> bags = train.bags().subList(0, 40);
        try (MilModel plain = MilModel.create(ATTENTION_SPEC, 5); MilModel decayed = MilModel.create(ATTENTION_SPEC, 5)) {
            trainer.train(plain, bags, new TrainingOptions(2, 1e-3, 0, 1));
            trainer.train(decayed, bags, new TrainingOptions(2, 1e-3, 0.5, 1));

            assertThat(squaredNorm(decayed.weights())).isLessThan(squaredNorm(plain.weights()));
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void everyArchitectureLearns(Architecture architecture) {
        List<Bag> bags = train.bags().subList(0, 100);
        try (MilModel model = MilModel.create(spec(architecture), 3)) {
            double lossBefore = model.evaluate(bags).loss();
            trainer.train(model, bags, new TrainingOptions(3, 3e-3, 0, 1));

            assertThat(model.evaluate(bags).loss()).isLessThan(lossBefore * 0.8);
        }
    }

    @Test
    void trainingLeavesNoArraysBehindOnTheModel() {
        List<Bag> bags = train.bags().subList(0, 20);
        try (MilModel model = MilModel.create(ATTENTION_SPEC, 5)) {
            int parameters = model.weightSpecs().size();
            assertThat(model.manager().getManagedArrays()).hasSize(parameters);

            trainer.train(model, bags, new TrainingOptions(2, 1e-3, 1e-4, 1));
            trainer.train(model, bags, new TrainingOptions(2, 1e-3, 1e-4, 2));

            // neither moments nor gradient views outlive a call
            assertThat(model.manager().getManagedArrays()).hasSize(parameters)
                    .containsExactlyInAnyOrderElementsOf(model.parameterArrays().values());
        }
    }

    @Test
    void focalAndWeightedLossesTrainToo() {
        List<Bag> bags = train.bags().subList(0, 100);
        for (BagLoss loss : List.of(new BagLoss(2, 1, 1), new BagLoss(0, 0.6, 2.5))) {
            try (MilModel model = MilModel.create(ATTENTION_SPEC, 3)) {
                trainer.train(model, bags, new TrainingOptions(4, 3e-3, 0, 1).withLoss(loss));
                assertThat(model.evaluate(test.bags()).auc()).as(loss.toString()).isGreaterThan(0.9);
            }
        }
    }

    @Test
    void augmentationIsAppliedToTrainingBagsReproducibly() {
        List<Bag> bags = train.bags().subList(0, 30);
        // a label-preserving "augmentation" that adds noise: it must change the result, the same way each time
        BagAugmentation noise = (bag, rng) -> {
            float[] x = bag.features().clone();
            for (int i = 0; i < x.length; i++) {
                x[i] += (float) rng.nextGaussian() * 0.3f;
            }
            return new Bag(bag.id(), bag.label(), bag.instances(), bag.dim(), x);
        };
        TrainingOptions plain = new TrainingOptions(1, 5e-3, 0, 1);
        try (MilModel a = MilModel.create(ATTENTION_SPEC, 5); MilModel b = MilModel.create(ATTENTION_SPEC, 5);
             MilModel c = MilModel.create(ATTENTION_SPEC, 5)) {
            trainer.train(a, bags, plain);
            trainer.train(b, bags, plain.withAugmentation(noise));
            trainer.train(c, bags, plain.withAugmentation(noise));

            assertThat(b.weights()).isNotEqualTo(a.weights()).isEqualTo(c.weights());
        }
    }

    @Test
    void badInputIsRefusedAndTheWeightsAreLeftAsTheyWere() {
        try (MilModel model = MilModel.create(ATTENTION_SPEC, 5)) {
            TensorSet start = model.weights();
            TrainingOptions options = new TrainingOptions(1, 1e-3, 0, 1);
            Bag odd = new Bag("odd", 1, 2, DIM - 1, new float[2 * (DIM - 1)]);

            assertThatThrownBy(() -> trainer.train(model, List.of(), options))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no bags");
            assertThatThrownBy(() -> trainer.train(model, List.of(train.bags().get(0), odd), options))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'odd'")
                    .hasMessageContaining("input_dim=" + DIM);
            assertThat(model.weights()).isEqualTo(start);
        }
    }

    @Test
    void optionsRefuseNonsense() {
        assertThatThrownBy(() -> new TrainingOptions(0, 1e-3, 0, 1)).hasMessageContaining("epochs");
        assertThatThrownBy(() -> new TrainingOptions(1, 0, 0, 1)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new TrainingOptions(1, Double.NaN, 0, 1)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new TrainingOptions(1, 1e-3, -1, 1)).hasMessageContaining("weight decay");
    }

    private static ModelSpec spec(Architecture architecture) {
        return new ModelSpec(architecture, DIM, 32, 16);
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double squaredNorm(TensorSet weights) {
        double sum = 0;
        for (NamedTensor t : weights.tensors()) {
            for (float v : t.values()) {
                sum += (double) v * v;
            }
        }
        return sum;
    }
}
