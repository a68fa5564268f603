package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.fedmil.mil.data.LabelCounts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Label smoothing and generalized cross-entropy against values worked out by hand, on numbers and on the engine. */
class NoisyLabelLossTest {

    /** ln 2 = −log σ(0): every loss below is easy to check at logit 0 and at logit ln 3 (σ = 3/4). */
    private static final double LN3 = Math.log(3);

    private static double onEngine(BagLoss loss, double logit, int label) {
        try (NDManager m = Engine.getInstance().newBaseManager()) {
            NDArray x = m.create(new float[]{(float) logit});
            return loss.evaluate(x, label).getFloat();
        }
    }

    @Test
    void gceIsOneMinusPToTheQOverQ() {
        BagLoss gce = new BagLoss(0, 1, 1, 0, 0.5);
        // positive bag, logit ln 3: p = 3/4, (1 − √(3/4)) / 0.5 = 2 − √3
        assertThat(gce.of(LN3, 1)).isCloseTo(2 - Math.sqrt(3), within(1e-12));
        // negative bag, same logit: p(negative) = 1/4, (1 − ½) / 0.5 = 1
        assertThat(gce.of(LN3, 0)).isCloseTo(1.0, within(1e-12));
        assertThat(onEngine(gce, LN3, 1)).isCloseTo(2 - Math.sqrt(3), within(1e-6));
        assertThat(onEngine(gce, LN3, 0)).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void gceWithQOneIsTheMeanAbsoluteErrorAndIsBounded() {
        BagLoss mae = new BagLoss(0, 1, 1, 0, 1);
        // q = 1: 1 − p_t; a confidently wrong bag (logit −30 for a positive) costs at most 1, cross-entropy 30
        assertThat(mae.of(LN3, 1)).isCloseTo(0.25, within(1e-12));
        assertThat(mae.of(-30, 1)).isCloseTo(1.0, within(1e-12));
        assertThat(BagLoss.CROSS_ENTROPY.of(-30, 1)).isCloseTo(30.0, within(1e-9));
        assertThat(onEngine(mae, -30, 1)).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void labelSmoothingMixesInTheOtherLabelsLoss() {
        BagLoss smooth = new BagLoss(0, 1, 1, 0.2, 0);
        // ε = 0.2: 0.9 · (−log ¾) + 0.1 · (−log ¼) = 0.9 ln(4/3) + 0.1 ln 4
        double expected = 0.9 * Math.log(4.0 / 3) + 0.1 * Math.log(4);
        assertThat(smooth.of(LN3, 1)).isCloseTo(expected, within(1e-12));
        assertThat(onEngine(smooth, LN3, 1)).isCloseTo(expected, within(1e-6));
        // at logit 0 both labels cost ln 2, smoothed or not
        assertThat(smooth.of(0, 0)).isCloseTo(Math.log(2), within(1e-12));
    }

    @Test
    void smoothingKeepsAPerfectlyConfidentModelFromZeroLoss() {
        BagLoss smooth = new BagLoss(0, 1, 1, 0.1, 0);
        // logit 30 on a positive bag: cross-entropy ≈ 0, smoothed ≈ 0.05 · 30 = 1.5, so the logit is pulled back
        assertThat(BagLoss.CROSS_ENTROPY.of(30, 1)).isLessThan(1e-12);
        assertThat(smooth.of(30, 1)).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void smoothedGceAndClassWeightsCombine() {
        BagLoss both = new BagLoss(0, 1, 3, 0.2, 0.5);
        // positive weight 3 · [0.9 · (2 − √3) + 0.1 · 1]
        double expected = 3 * (0.9 * (2 - Math.sqrt(3)) + 0.1);
        assertThat(both.of(LN3, 1)).isCloseTo(expected, within(1e-12));
        assertThat(onEngine(both, LN3, 1)).isCloseTo(expected, within(1e-5));
    }

    @Test
    void theFederationsLossConfigCarriesGceAndSmoothingToEverySite() {
        LossConfig config = new LossConfig(LossConfig.Kind.GCE, 2.0, LossConfig.ClassWeighting.BALANCED, 0.7, 0.1);
        BagLoss site = config.forSite(new LabelCounts(30, 10));
        assertThat(site.gceQ()).isEqualTo(0.7);
        assertThat(site.labelSmoothing()).isEqualTo(0.1);
        assertThat(site.gamma()).isZero();
        assertThat(site.positiveWeight()).isEqualTo(2.0);
        // the default stays hard-label cross-entropy
        BagLoss plain = LossConfig.DEFAULT.forSite(new LabelCounts(30, 10));
        assertThat(plain.gceQ()).isZero();
        assertThat(plain.labelSmoothing()).isZero();
    }

    @Test
    void outOfRangeSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new LossConfig(LossConfig.Kind.GCE, 2, LossConfig.ClassWeighting.NONE, 0, 0))
                .hasMessageContaining("gce_q must be in (0, 1]");
        assertThatThrownBy(() -> new LossConfig(LossConfig.Kind.GCE, 2, LossConfig.ClassWeighting.NONE, 0.7, 0.6))
                .hasMessageContaining("label_smoothing must be in 0..0.5");
        assertThatThrownBy(() -> new BagLoss(2, 1, 1, 0, 0.7)).hasMessageContaining("choose one");
    }
}
