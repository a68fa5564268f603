package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.GradientGrid;
import org.fedmil.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;

/** The coordinator's DP-FedSGD rules: release only K_min shares or more, the step, and what the round log states. */
class DpFedSgdRoundTest {

    private static final int LENGTH = 500;
    private final DpFedSgd dp = new DpFedSgd(0.5, 1.318, 0.25, 3);
    private final DpFedSgdRound round = new DpFedSgdRound(dp, 1e-5, LENGTH);

    @Test
    void aSumOfFewerThanKMinSharesIsRefusedWithTheReasonAndOneOfKMinOrMoreIsNot() {
        assertThat(round.refusal(7, 3)).isNull();
        assertThat(round.refusal(7, 4)).isNull();
        assertThat(round.refusal(7, 2)).contains("round 7").contains("only 2 DP-FedSGD shares")
                .contains("K_min = 3").contains("not unmasked");
    }

    @Test
    void theStepIsMinusTheSumInGradientUnitsOverTheExpectedLotOfTheStatedBags() {
        long[] sum = new long[LENGTH];
        sum[0] = 1L << 20;
        sum[1] = -(1L << 18);
        float[] step = round.pseudoDelta(sum, 400);
        GradientGrid grid = dp.grid(LENGTH);
        assertThat((double) step[0]).isCloseTo(-(1 << 20) * grid.unit() / (0.25 * 400), within(1e-6));
        assertThat((double) step[1]).isCloseTo((1 << 18) * grid.unit() / (0.25 * 400), within(1e-6));
        assertThat(step[2]).isZero();
    }

    @Test
    void theAuditChargesOneSampledGaussianStepAtZPrimeAndComposesThroughTheRound() {
        DpFedSgdRound.Audit a = round.audit(10, 1, 3, 400, null);
        double z = dp.centralNoiseMultiplier(dp.grid(LENGTH), LENGTH);
        assertThat(a.released()).isTrue();
        assertThat(a.chargedMultiplier()).isEqualTo(z).isGreaterThanOrEqualTo(1.318);
        assertThat(a.epsilonRound()).isCloseTo(RdpAccountant.epsilonOfSampledGaussian(0.25, z, 1, 1e-5).epsilon(),
                within(1e-12));
        assertThat(a.epsilonThroughRound()).isCloseTo(
                RdpAccountant.epsilonOfSampledGaussian(0.25, z, 10, 1e-5).epsilon(), within(1e-12));
        assertThat(a.trainingBags()).isEqualTo(400);
        DpFedSgdRound.Audit refused = round.audit(10, 2, 2, 260, round.refusal(10, 2));
        assertThat(refused.released()).isFalse();
        assertThat(refused.refusal()).contains("K_min = 3");
    }
}
