package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.fedmil.mil.data.LabelCounts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BagLossTest {

    private static final double LN2 = Math.log(2);

    @Test
    void crossEntropyAtAnUndecidedLogitIsLn2ForEitherLabel() {
        assertThat(BagLoss.CROSS_ENTROPY.of(0, 1)).isCloseTo(LN2, within(1e-12));
        assertThat(BagLoss.CROSS_ENTROPY.of(0, 0)).isCloseTo(LN2, within(1e-12));
        // logit 2 for a positive: −log σ(2) = log(1 + e^−2)
        assertThat(BagLoss.CROSS_ENTROPY.of(2, 1)).isCloseTo(Math.log1p(Math.exp(-2)), within(1e-12));
        assertThat(BagLoss.CROSS_ENTROPY.of(2, 0)).isCloseTo(Math.log1p(Math.exp(2)), within(1e-12));
    }

    @Test
    void focalLossScalesCrossEntropyByOneMinusPtToTheGamma() {
        BagLoss focal = new BagLoss(2, 1, 1);
        // p_t = 0.5 at logit 0: 0.25 · ln 2
        assertThat(focal.of(0, 1)).isCloseTo(0.25 * LN2, within(1e-12));
        // an easy positive (logit 3, p_t = σ(3) ≈ 0.9526) counts (1 − 0.9526)² ≈ 0.00225 of its cross-entropy
        double pt = 1 / (1 + Math.exp(-3));
        assertThat(focal.of(3, 1)).isCloseTo(Math.pow(1 - pt, 2) * -Math.log(pt), within(1e-12));
        assertThat(focal.of(3, 1)).isLessThan(0.01 * BagLoss.CROSS_ENTROPY.of(3, 1));
    }

    @Test
    void classWeightsMultiplyTheLossOfTheirClassOnly() {
        BagLoss weighted = new BagLoss(0, 0.5, 3);
        assertThat(weighted.of(0, 1)).isCloseTo(3 * LN2, within(1e-12));
        assertThat(weighted.of(0, 0)).isCloseTo(0.5 * LN2, within(1e-12));
    }

    @Test
    void theArrayLossMatchesTheScalarDefinition() {
        BagLoss[] losses = {BagLoss.CROSS_ENTROPY, new BagLoss(2, 0.7, 1.8), new BagLoss(0.5, 1, 1)};
        double[] logits = {-30, -2.5, -0.1, 0, 0.3, 4, 30};
        try (NDManager manager = NDManager.newBaseManager()) {
            for (BagLoss loss : losses) {
                for (double x : logits) {
                    for (int y = 0; y <= 1; y++) {
                        NDArray logit = manager.create(new float[] {(float) x});
                        assertThat((double) loss.evaluate(logit, y).getFloat())
                                .as("%s at logit %s, label %d", loss, x, y)
                                .isCloseTo(loss.of((float) x, y), within(1e-5 + 1e-6 * Math.abs(x)));
                    }
                }
            }
        }
    }

    @Test
    void balancedWeightsComeFromTheSitesOwnLabelCounts() {
        // 30 negatives, 10 positives: 40 / (2 · 30) and 40 / (2 · 10)
        BagLoss loss = LossConfig.DEFAULT.forSite(new LabelCounts(30, 10));
        assertThat(loss.negativeWeight()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(loss.positiveWeight()).isCloseTo(2.0, within(1e-12));
        assertThat(loss.gamma()).isZero();
        // both classes then weigh the same in total: 30 · 2/3 = 10 · 2
        assertThat(30 * loss.negativeWeight()).isCloseTo(10 * loss.positiveWeight(), within(1e-9));
    }

    @Test
    void federationWeightsComeFromTheFederationsCountsSoEverySiteWeighsAClassAlike() {
        LossConfig federation = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.FEDERATION);
        // the federation: 60 negatives, 40 positives; a site with 25 negatives and 3 positives weighs them by those
        BagLoss site = federation.forSite(new LabelCounts(25, 3), new LabelCounts(60, 40));
        assertThat(site.negativeWeight()).isCloseTo(100.0 / 120, within(1e-12));
        assertThat(site.positiveWeight()).isCloseTo(100.0 / 80, within(1e-12));
        // per-site balancing would weigh that site's 3 positives 28 / 6 ≈ 4.7 each
        LossConfig perSite = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.BALANCED);
        assertThat(perSite.forSite(new LabelCounts(25, 3), new LabelCounts(60, 40)).positiveWeight())
                .isCloseTo(28.0 / 6, within(1e-12));
    }

    @Test
    void federationWeightsFallBackToTheSitesOwnWhenNoFederationCountsAreKnown() {
        LossConfig federation = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.FEDERATION);
        // an older coordinator sends no counts (0, 0): the site balances by its own, as "balanced" does
        assertThat(federation.forSite(new LabelCounts(30, 10), new LabelCounts(0, 0)))
                .isEqualTo(LossConfig.DEFAULT.forSite(new LabelCounts(30, 10)));
        assertThat(federation.forSite(new LabelCounts(30, 10))).isEqualTo(LossConfig.DEFAULT.forSite(
                new LabelCounts(30, 10)));
        assertThat(LossConfig.ClassWeighting.fromConfigName("federation"))
                .isEqualTo(LossConfig.ClassWeighting.FEDERATION);
    }

    @Test
    void aSiteWithOneClassOrNoWeightingKeepsWeightOne() {
        assertThat(LossConfig.DEFAULT.forSite(new LabelCounts(12, 0))).isEqualTo(BagLoss.CROSS_ENTROPY);
        LossConfig focalUnweighted = new LossConfig(LossConfig.Kind.FOCAL, 1.5, LossConfig.ClassWeighting.NONE);
        assertThat(focalUnweighted.forSite(new LabelCounts(30, 10))).isEqualTo(new BagLoss(1.5, 1, 1));
    }

    @Test
    void lossNamesAreReadFromConfigAndUnknownOnesListTheChoices() {
        assertThat(LossConfig.Kind.fromConfigName("Focal")).isEqualTo(LossConfig.Kind.FOCAL);
        assertThat(LossConfig.Kind.fromConfigName("")).isEqualTo(LossConfig.Kind.CROSS_ENTROPY);
        assertThatThrownBy(() -> LossConfig.Kind.fromConfigName("hinge"))
                .hasMessageContaining("'hinge'").hasMessageContaining("cross_entropy, focal");
        assertThatThrownBy(() -> LossConfig.ClassWeighting.fromConfigName("inverse"))
                .hasMessageContaining("balanced, federation, none");
        assertThatThrownBy(() -> new LossConfig(LossConfig.Kind.FOCAL, -1, LossConfig.ClassWeighting.NONE))
                .hasMessageContaining("focal_gamma");
    }
}
