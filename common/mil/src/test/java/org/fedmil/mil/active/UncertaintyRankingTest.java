package org.fedmil.mil.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;

class UncertaintyRankingTest {

    @Test
    void entropyAndWeightedVarianceMatchHandComputedValues() {
        assertThat(Uncertainty.entropy(0.5)).isCloseTo(1.0, within(1e-12));
        assertThat(Uncertainty.entropy(0.0)).isZero();
        assertThat(Uncertainty.entropy(1.0)).isZero();
        // −(0.1·log₂0.1 + 0.9·log₂0.9) = 0.4689955935892812
        assertThat(Uncertainty.entropy(0.1)).isCloseTo(0.4689955935892812, within(1e-12));
        assertThat(Uncertainty.entropy(0.9)).isCloseTo(Uncertainty.entropy(0.1), within(1e-15));
        // values 0, 1 weighted 0.25, 0.75: mean 0.75, variance 0.25·0.5625 + 0.75·0.0625 = 0.1875
        assertThat(Uncertainty.weightedVariance(new float[]{0f, 1f}, new float[]{0.25f, 0.75f}))
                .isCloseTo(0.1875, within(1e-7));
        assertThat(Uncertainty.weightedVariance(new float[]{0.3f, 0.3f, 0.3f}, new float[]{0.2f, 0.3f, 0.5f}))
                .isCloseTo(0, within(1e-9));
        assertThatThrownBy(() -> Uncertainty.weightedVariance(new float[]{1}, new float[]{0.5f, 0.5f}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Uncertainty.fromConfigName("instance_disagreement")).isEqualTo(Uncertainty.INSTANCE_DISAGREEMENT);
        assertThatThrownBy(() -> Uncertainty.fromConfigName("margin")).hasMessageContaining("entropy");
    }

    private static List<Bag> bags(int n, int dim, long seed) {
        Random rng = new Random(seed);
        List<Bag> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int instances = 1 + rng.nextInt(5);
            float[] x = new float[instances * dim];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (rng.nextGaussian() * 2);
            }
            out.add(new Bag("u" + i, Bag.UNLABELED, instances, dim, x));
        }
        return out;
    }

    @Test
    void bagsAreRankedMostUncertainFirstByEachMeasure() {
        List<Bag> bags = bags(10, 16, 3);
        TestTimeAugmentation tta = new TestTimeAugmentation(new TileAugmentation(new TileFormat(1, 4), true, true));
        try (MilModel model = MilModel.create(new ModelSpec(Architecture.ATTENTION, 16, 6, 3), 8)) {
            UncertaintyRanking ranking = new UncertaintyRanking(Optional.of(tta));
            for (Uncertainty by : Uncertainty.values()) {
                if (by == Uncertainty.BALANCED_ENTROPY) {
                    continue; // alternates classes, not monotone in its score: its own test below
                }
                List<BagUncertainty> ranked = ranking.rank(model, bags, by);
                assertThat(ranked).hasSize(10);
                for (int i = 1; i < ranked.size(); i++) {
                    assertThat(ranked.get(i - 1).score(by)).as(by + " at " + i)
                            .isGreaterThanOrEqualTo(ranked.get(i).score(by));
                }
            }
            // the entropy is that of the TTA mean probability, and the view spread that of the views
            Bag first = bags.get(0);
            BagUncertainty u = ranking.measure(model, first);
            float[] views = tta.viewProbabilities(model, first);
            double mean = 0;
            for (float v : views) {
                mean += v / 8.0;
            }
            assertThat(u.probability()).isCloseTo(mean, within(1e-6));
            assertThat(u.entropy()).isCloseTo(Uncertainty.entropy(mean), within(1e-6));
            assertThat(u.instanceDisagreement()).isCloseTo(Uncertainty.weightedVariance(model.instanceScores(first),
                    model.attentionWeights(first)), within(1e-9));
        }
    }

    private static BagUncertainty scored(String id, double p) {
        return new BagUncertainty(id, p, Uncertainty.entropy(p), 0, Double.NaN);
    }

    @Test
    void balancedOrderTakesEachPredictedClassInTurnStartingWithTheMostUncertainBag() {
        // entropy order: a (p .55), b (.60), c (.45), d (.70), e (.30); positives a, b, d; negatives c, e
        List<BagUncertainty> ranked = List.of(scored("a", 0.55), scored("b", 0.60), scored("c", 0.45),
                scored("d", 0.70), scored("e", 0.30));
        assertThat(UncertaintyRanking.alternateClasses(ranked)).extracting(BagUncertainty::bagId)
                .containsExactly("a", "c", "b", "e", "d");
        // a negative bag first starts with the negatives; p = 0.5 counts as predicted positive
        assertThat(UncertaintyRanking.alternateClasses(List.of(scored("n1", 0.49), scored("p1", 0.5),
                scored("n2", 0.4), scored("n3", 0.2)))).extracting(BagUncertainty::bagId)
                .containsExactly("n1", "p1", "n2", "n3");
        // one predicted class only: plain entropy order
        List<BagUncertainty> oneSided = List.of(scored("x", 0.6), scored("y", 0.8), scored("z", 0.9));
        assertThat(UncertaintyRanking.alternateClasses(oneSided)).isEqualTo(oneSided);
        assertThat(UncertaintyRanking.alternateClasses(List.of())).isEmpty();
        assertThat(Uncertainty.fromConfigName("balanced_entropy")).isEqualTo(Uncertainty.BALANCED_ENTROPY);
    }

    @Test
    void balancedEntropyRanksTheSameBagsAsEntropyWithPredictedClassesAlternating() {
        List<Bag> bags = bags(12, 16, 5);
        try (MilModel model = MilModel.create(new ModelSpec(Architecture.ATTENTION, 16, 6, 3), 4)) {
            UncertaintyRanking ranking = new UncertaintyRanking(Optional.empty());
            List<BagUncertainty> byEntropy = ranking.rank(model, bags, Uncertainty.ENTROPY);
            List<BagUncertainty> balanced = ranking.rank(model, bags, Uncertainty.BALANCED_ENTROPY);
            assertThat(balanced).containsExactlyInAnyOrderElementsOf(byEntropy);
            assertThat(balanced.get(0)).isEqualTo(byEntropy.get(0));
            assertThat(balanced).isEqualTo(UncertaintyRanking.alternateClasses(byEntropy));
            long positives = byEntropy.stream().filter(u -> u.probability() >= 0.5).count();
            assertThat(positives).as("both predicted classes, or nothing alternates").isBetween(2L, 10L);
            int alternating = (int) (2 * Math.min(positives, bags.size() - positives));
            for (int i = 1; i < alternating; i++) {
                assertThat(balanced.get(i).probability() >= 0.5).as("class at " + i)
                        .isNotEqualTo(balanced.get(i - 1).probability() >= 0.5);
            }
        }
    }

    @Test
    void viewDisagreementNeedsViews() {
        try (MilModel model = MilModel.create(new ModelSpec(Architecture.MEAN, 4, 3, 2), 1)) {
            UncertaintyRanking plain = new UncertaintyRanking(Optional.empty());
            assertThat(plain.measure(model, bags(1, 4, 1).get(0)).viewDisagreement()).isNaN();
            assertThatThrownBy(() -> plain.rank(model, bags(2, 4, 1), Uncertainty.VIEW_DISAGREEMENT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entropy");
        }
    }
}
