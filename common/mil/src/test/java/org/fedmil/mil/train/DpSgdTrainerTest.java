package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DpSgdTrainerTest {

    private static final int DIM = 8;
    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, DIM, 16, 8);
    private static final OptimizerConfig PLAIN_SGD = new OptimizerConfig(OptimizerConfig.Kind.SGD, 0, false);

    private final DpSgdTrainer trainer = new DpSgdTrainer();

    /** Plain SGD at learning rate 1: the weights move by exactly minus the gradient the trainer hands over. */
    private static TrainingOptions sgdAtRateOne(int epochs) {
        return new TrainingOptions(epochs, 1.0, 0, 3).withOptimizer(PLAIN_SGD);
    }

    private static double[] flatten(TensorSet t) {
        List<Double> out = new ArrayList<>();
        for (NamedTensor n : t.tensors()) {
            for (float v : n.values()) {
                out.add((double) v);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    /**
     * A bag whose features are 10³× normal, labelled against the initial model's guess: its raw gradient is
     * enormous (with the label the model already predicts the loss saturates and the gradient vanishes).
     */
    private static Bag huge(Bag bag) {
        float[] f = bag.features().clone();
        for (int i = 0; i < f.length; i++) {
            f[i] *= 1e3f;
        }
        Bag zero = new Bag(bag.id() + "-huge", 0, bag.instances(), bag.dim(), f);
        Bag one = zero.withLabel(1);
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            return model.evaluate(List.of(zero)).loss() > model.evaluate(List.of(one)).loss() ? zero : one;
        }
    }

    @Test
    void aBagWithAHugeGradientMovesTheModelByAtMostTheClipNormOverTheLotSize() {
        Bag bag = huge(LesionBags.generate(1, DIM, 5, 10, 1).bags().get(0));
        double clip = 0.5;
        // q = 1, one bag, σ tiny: the step is −(clipped gradient + ~0 noise)/1
        DpSgd dp = new DpSgd(clip, 1e-6, 1.0);
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet before = model.weights();
            DpSgdTrainer.Result result = trainer.train(model, List.of(bag), sgdAtRateOne(1), dp,
                    GradientNoise.seeded(1));
            double moved = norm(flatten(model.weights().minus(before)));

            assertThat(result.medianBagGradientNorm()).as("the raw gradient is far above C")
                    .isGreaterThan(100 * clip);
            assertThat(result.clippedFraction()).isEqualTo(1.0);
            assertThat(moved).isCloseTo(clip, within(clip * 1e-3));
        }
    }

    @Test
    void withoutClippingTheSameBagWouldHaveMovedTheModelFarMore() {
        Bag bag = huge(LesionBags.generate(1, DIM, 5, 10, 1).bags().get(0));
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet before = model.weights();
            new LocalTrainer().train(model, List.of(bag), sgdAtRateOne(1));
            assertThat(norm(flatten(model.weights().minus(before)))).isGreaterThan(50);
        }
    }

    @Test
    void aSmallGradientIsNotScaledAndEveryBagOfTheLotCountsOnce() {
        List<Bag> bags = LesionBags.generate(4, DIM, 5, 10, 2).bags();
        // C far above every norm, and small enough that the grid (C·2^−30 at this σ) is far below the tolerance
        double clip = 1e3;
        try (MilModel dpModel = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7);
             MilModel plain = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet start = dpModel.weights();
            // q = 1: one step of the mean gradient of all four bags, plus noise of a grid unit or so
            DpSgdTrainer.Result result = trainer.train(dpModel, bags, sgdAtRateOne(1),
                    new DpSgd(clip, 1e-12, 1.0), GradientNoise.seeded(2));
            assertThat(result.clippedFraction()).isZero();
            new LocalTrainer().train(plain, bags, sgdAtRateOne(1).withBagsPerStep(4));
            double[] a = flatten(dpModel.weights().minus(start));
            double[] b = flatten(plain.weights().minus(start));
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], within(1e-5 + 1e-4 * Math.abs(b[i])));
            }
        }
    }

    @Test
    void theNoiseOfAStepHasStandardDeviationSigmaTimesClipOverTheExpectedLot() {
        List<Bag> bags = LesionBags.generate(20, DIM, 5, 10, 3).bags();
        double clip = 2.0;
        double sigma = 1.5;
        double q = 0.5;
        // the real Gaussian draws, with a sample that is always empty: the step is noise alone
        GradientNoise real = GradientNoise.seeded(4);
        GradientNoise emptyLots = new GradientNoise() {
            @Override
            public void addDiscreteGaussian(long[] values, java.math.BigInteger variance) {
                real.addDiscreteGaussian(values, variance);
            }

            @Override
            public boolean sampled(double rate) {
                return false;
            }

            @Override
            public double roundingUniform() {
                return real.roundingUniform();
            }
        };
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet before = model.weights();
            // one epoch at q = 0.5 is 2 steps: the sum of two independent draws, std √2·σC/(qn)
            DpSgdTrainer.Result result = trainer.train(model, bags, sgdAtRateOne(1), new DpSgd(clip, sigma, q),
                    emptyLots);
            double[] moved = flatten(model.weights().minus(before));
            double mean = 0;
            for (double v : moved) {
                mean += v;
            }
            mean /= moved.length;
            double var = 0;
            for (double v : moved) {
                var += (v - mean) * (v - mean);
            }
            double std = Math.sqrt(var / (moved.length - 1));
            double expected = Math.sqrt(2) * sigma * clip / (q * bags.size());

            assertThat(result.steps()).isEqualTo(2);
            assertThat(moved.length).isGreaterThan(300);
            // sample std of n normals: relative error ~ 1/√(2n) ≈ 4 % at n = 300; 15 % is 3.5 standard errors
            assertThat(std).isCloseTo(expected, within(0.15 * expected));
            assertThat(Math.abs(mean)).isLessThan(4 * expected / Math.sqrt(moved.length));
        }
    }

    @Test
    void poissonLotsHaveTheExpectedSizeAndTheEpochHasRoundOneOverQSteps() {
        GradientNoise noise = GradientNoise.seeded(5);
        int total = 0;
        for (int i = 0; i < 1000; i++) {
            total += DpSgdTrainer.lot(200, 0.1, noise).length;
        }
        // 200 000 Bernoulli(0.1): mean 20 per lot, sd of the mean ≈ 0.042
        assertThat(total / 1000.0).isCloseTo(20.0, within(0.3));
        assertThat(new DpSgd(1, 1, 0.1).stepsPerEpoch()).isEqualTo(10);
        assertThat(new DpSgd(1, 1, 0.3).steps(3)).isEqualTo(9);
        assertThat(new DpSgd(1, 1, 1.0).stepsPerEpoch()).isEqualTo(1);
    }

    @Test
    void theDiscreteGaussianDrawsHaveTheAskedStandardDeviation() {
        long[] v = new long[200_000];
        GradientNoise.seeded(6).addDiscreteGaussian(v, java.math.BigInteger.valueOf(9));
        double sum = 0;
        double squares = 0;
        for (long x : v) {
            sum += x;
            squares += (double) x * x;
        }
        double mean = sum / v.length;
        double std = Math.sqrt(squares / v.length - mean * mean);
        assertThat(mean).isCloseTo(0, within(0.03));
        assertThat(std).isCloseTo(3.0, within(0.03));
    }

    @Test
    void dpSgdLearnsTheLesionProblemAtModestNoise() {
        LesionBags train = LesionBags.generate(200, DIM, 5, 20, 8);
        try (MilModel model = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            double before = model.evaluate(train.bags()).loss();
            trainer.train(model, train.bags(), new TrainingOptions(10, 1e-2, 0, 9), new DpSgd(1.0, 0.5, 0.1),
                    GradientNoise.seeded(9));
            assertThat(model.evaluate(train.bags()).loss()).isLessThan(before * 0.8);
        }
    }

    @Test
    void theSecureSourceNoisesEveryStepDifferentlyFromRunToRun() {
        List<Bag> bags = LesionBags.generate(10, DIM, 5, 10, 4).bags();
        DpSgd dp = new DpSgd(1.0, 1.0, 0.5);
        try (MilModel a = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7);
             MilModel b = MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7)) {
            TensorSet start = a.weights();
            trainer.train(a, bags, sgdAtRateOne(1), dp, GradientNoise.secure());
            trainer.train(b, bags, sgdAtRateOne(1), dp, GradientNoise.secure());
            // the same model, bags and settings: only the DRBG's lots and noise differ
            assertThat(a.weights()).isNotEqualTo(start);
            assertThat(a.weights()).isNotEqualTo(b.weights());
        }
    }

    @Test
    void badSettingsAreRefusedWithWhatToDo() {
        assertThatThrownBy(() -> new DpSgd(0, 1, 0.1)).hasMessageContaining("clip norm C")
                .hasMessageContaining("> 0");
        assertThatThrownBy(() -> new DpSgd(1, 0, 0.1)).hasMessageContaining("noise multiplier σ")
                .hasMessageContaining("without DP-SGD");
        assertThatThrownBy(() -> new DpSgd(1, 1, 0)).hasMessageContaining("sampling rate q")
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> new DpSgd(1, 1, 1.5)).hasMessageContaining("sampling rate q");
        assertThatThrownBy(() -> GradientNoise.seeded(1).addDiscreteGaussian(new long[1],
                java.math.BigInteger.valueOf(-1))).hasMessageContaining("variance must be > 0");
    }
}
