package org.fedmil.site.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.GradientGrid;
import org.fedmil.privacy.NoiseCalibration;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.site.config.SitePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's ledger under DP-FedSGD: each round's share is one sampled-Gaussian release at (q, z′), the coordinator is
 * told this federation's spend, a resend costs nothing, the ledger survives a restart, and a round past the lifetime
 * budget is refused before anything is recorded.
 */
class DpFedSgdLedgerTest {

    private static final double Q = 0.25;
    private static final int ROUNDS = 40;
    private static final long DIM = 1_000;

    @TempDir
    Path state;

    private static double chargedMultiplier(double sigma) {
        DpFedSgd dp = new DpFedSgd(0.5, sigma, Q, 4);
        GradientGrid grid = dp.grid(DIM);
        return dp.centralNoiseMultiplier(grid, DIM);
    }

    private static String sha(int round) {
        return String.format("%064x", round);
    }

    @Test
    void fortyRoundsAtTheCalibratedSigmaSpendTheTargetPerFederationAndSurviveARestart() {
        double sigma = NoiseCalibration.noiseMultiplierFor(8, 1e-5, Q, ROUNDS);
        double z = chargedMultiplier(sigma);
        SitePrivacy privacy = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, 100.0), state);
        // another federation's rounds on the same ledger first: they count for the lifetime, not for this one
        privacy.chargeDpFedSgd("other-fed", 1, sha(9_001), 0.5, z, Q);
        PrivacyClaim last = null;
        for (int round = 1; round <= ROUNDS; round++) {
            last = privacy.chargeDpFedSgd("this-fed", round, sha(round), 0.5, z, Q);
        }
        double expected = RdpAccountant.epsilonOfSampledGaussian(Q, z, ROUNDS, 1e-5).epsilon();
        assertThat(last.epsilonSpent()).isCloseTo(expected, within(1e-9)).isLessThanOrEqualTo(8.0 + 1e-6);
        assertThat(last.noiseMultiplier()).isEqualTo(z);
        assertThat(last.samplingRate()).isEqualTo(Q);
        // a resend of round 40's bytes is not a new release
        assertThat(privacy.chargeDpFedSgd("this-fed", ROUNDS, sha(ROUNDS), 0.5, z, Q).epsilonSpent())
                .isCloseTo(expected, within(1e-9));

        SitePrivacy reopened = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, 100.0), state);
        assertThat(reopened.spent().epsilon()).isGreaterThan(expected);
        assertThat(reopened.chargeDpFedSgd("this-fed", ROUNDS + 1, sha(ROUNDS + 1), 0.5, z, Q).epsilonSpent())
                .isCloseTo(RdpAccountant.epsilonOfSampledGaussian(Q, z, ROUNDS + 1, 1e-5).epsilon(), within(1e-9));
    }

    @Test
    void aRoundPastTheLifetimeBudgetIsRefusedAndNotRecorded() {
        double z = chargedMultiplier(1.0);
        double two = RdpAccountant.epsilonOfSampledGaussian(Q, z, 2, 1e-5).epsilon();
        double three = RdpAccountant.epsilonOfSampledGaussian(Q, z, 3, 1e-5).epsilon();
        double budget = (two + three) / 2;
        SitePrivacy privacy = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, budget), state);
        privacy.chargeDpFedSgd("fed", 1, sha(1), 0.5, z, Q);
        privacy.chargeDpFedSgd("fed", 2, sha(2), 0.5, z, Q);
        assertThatThrownBy(() -> privacy.requireBudgetFor(Q, 1.0, 1)).isInstanceOf(PolicyViolation.class)
                .hasMessageContaining("lifetime budget");
        assertThatThrownBy(() -> privacy.chargeDpFedSgd("fed", 3, sha(3), 0.5, z, Q))
                .isInstanceOf(PolicyViolation.class).hasMessageContaining("dp.lifetime_epsilon");
        assertThat(privacy.spent().epsilon()).isCloseTo(two, within(1e-9));
    }
}
