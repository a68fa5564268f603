package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import java.math.BigInteger;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class DpFedSgdStepTest {

    private static final int DIM = 8;
    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, DIM, 16, 8);
    private static final OptimizerConfig PLAIN_SGD = new OptimizerConfig(OptimizerConfig.Kind.SGD, 0, false);
    private static final TrainingOptions OPTIONS = new TrainingOptions(1, 1.0, 0, 3).withOptimizer(PLAIN_SGD);

    private final DpFedSgdStep step = new DpFedSgdStep();

    private static MilModel model() {
        return MilModel.create(SPEC, Engine.getInstance().defaultDevice(), 7);
    }

    @Test
    void withoutNoiseAndEveryBagSampledTheStepIsMinusTheMeanGradientOfThePooledBags() {
        List<Bag> bags = LesionBags.generate(6, DIM, 5, 10, 2).bags();
        // C far above every bag's norm: nothing is clipped, the grid (C·2^−15) is far below the tolerance
        DpFedSgd dp = new DpFedSgd(100, 0, 1.0, 1);
        try (MilModel federated = model(); MilModel plain = model()) {
            TensorSet start = federated.weights();
            DpFedSgdStep.Share share = step.compute(federated, bags, OPTIONS, dp, GradientNoise.seeded(1));
            assertThat(federated.weights()).as("the site's model is not stepped").isEqualTo(start);
            assertThat(share.lot()).isEqualTo(6);
            // the same step by the ordinary trainer: SGD at rate 1 on the mean gradient of all six bags
            new LocalTrainer().train(plain, bags, OPTIONS.withBagsPerStep(6));
            float[] expected = flatten(plain.weights().minus(start));
            float[] got = dp.pseudoDelta(share.units(), share.grid(), 6);
            assertThat(got).hasSameSizeAs(expected);
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isCloseTo(expected[i], within(2e-3f + 1e-3f * Math.abs(expected[i])));
            }
        }
    }

    @Test
    void theSumOfThreeSitesSharesIsThePooledSumWhenNoNoiseIsAdded() {
        List<Bag> bags = LesionBags.generate(9, DIM, 5, 10, 4).bags();
        DpFedSgd dp = new DpFedSgd(0.5, 0, 1.0, 3);
        try (MilModel model = model()) {
            DpFedSgdStep.Share pooled = step.compute(model, bags, OPTIONS, dp, GradientNoise.seeded(2));
            long[] sum = new long[pooled.units().length];
            for (int site = 0; site < 3; site++) {
                DpFedSgdStep.Share s = step.compute(model, bags.subList(3 * site, 3 * site + 3), OPTIONS, dp,
                        GradientNoise.seeded(10 + site));
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += s.units()[i]; // wraps as secure aggregation's ring does
                }
            }
            // the same clipped gradients; only the randomised rounding differs, by at most one unit per bag
            for (int i = 0; i < sum.length; i++) {
                assertThat(Math.abs(sum[i] - pooled.units()[i])).isLessThanOrEqualTo(9);
            }
        }
    }

    @Test
    void aBagWithAHugeGradientMovesItsSitesSumByAtMostTheClipNorm() {
        Bag bag = LesionBags.generate(1, DIM, 5, 10, 1).bags().get(0);
        float[] f = bag.features().clone();
        for (int i = 0; i < f.length; i++) {
            f[i] *= 1e3f;
        }
        Bag zero = new Bag(bag.id() + "-huge", 0, bag.instances(), bag.dim(), f);
        Bag one = zero.withLabel(1);
        Bag huge;
        // labelled against the model's guess: with the label it already predicts, the loss saturates
        try (MilModel model = model()) {
            huge = model.evaluate(List.of(zero)).loss() > model.evaluate(List.of(one)).loss() ? zero : one;
        }
        DpFedSgd dp = new DpFedSgd(0.5, 0, 1.0, 1);
        try (MilModel model = model()) {
            DpFedSgdStep.Share share = step.compute(model, List.of(huge), OPTIONS, dp, GradientNoise.seeded(3));
            double squares = 0;
            for (long u : share.units()) {
                squares += (double) u * u;
            }
            assertThat(share.medianBagGradientNorm()).isGreaterThan(0.5);
            assertThat(squares).isLessThanOrEqualTo(share.grid().boundSquared());
            assertThat(Math.sqrt(squares) * share.grid().unit()).isCloseTo(0.5, within(0.5 * 1e-3));
        }
    }

    @Test
    void anEmptyLotStillReleasesItsNoiseShare() {
        List<Bag> bags = LesionBags.generate(5, DIM, 5, 10, 5).bags();
        DpFedSgd dp = new DpFedSgd(1.0, 2.0, 0.5, 4);
        GradientNoise real = GradientNoise.seeded(6);
        GradientNoise neverSampled = new GradientNoise() {
            @Override
            public void addDiscreteGaussian(long[] values, BigInteger variance) {
                real.addDiscreteGaussian(values, variance);
            }

            @Override
            public boolean sampled(double q) {
                return false;
            }

            @Override
            public double roundingUniform() {
                return real.roundingUniform();
            }
        };
        try (MilModel model = model()) {
            DpFedSgdStep.Share share = step.compute(model, bags, OPTIONS, dp, neverSampled);
            assertThat(share.lot()).isZero();
            double squares = 0;
            for (long u : share.units()) {
                squares += (double) u * u;
            }
            double std = Math.sqrt(squares / share.units().length);
            double expected = Math.sqrt(dp.shareVariance(share.grid()).doubleValue());
            assertThat(share.units().length).isGreaterThan(300);
            // a share alone: half the central σ·C at K_min = 4; the sample std of ≥ 300 draws within 15 %
            assertThat(std).isCloseTo(expected, within(0.15 * expected));
            assertThat(std * share.grid().unit()).isCloseTo(2.0 * 1.0 / 2, within(0.15));
        }
    }

    @Test
    void aSiteWithoutBagsIsRefused() {
        try (MilModel model = model()) {
            assertThatThrownBy(() -> step.compute(model, List.of(), OPTIONS, new DpFedSgd(1, 1, 0.5, 1),
                    GradientNoise.seeded(1))).hasMessageContaining("no bags");
        }
    }

    private static float[] flatten(TensorSet t) {
        int n = 0;
        for (NamedTensor x : t.tensors()) {
            n += x.size();
        }
        float[] out = new float[n];
        int at = 0;
        for (NamedTensor x : t.tensors()) {
            System.arraycopy(x.values(), 0, out, at, x.size());
            at += x.size();
        }
        return out;
    }
}
