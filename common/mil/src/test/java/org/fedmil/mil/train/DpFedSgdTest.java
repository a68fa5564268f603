package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import org.fedmil.privacy.NoiseCalibration;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.privacy.PrivacySpent;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.privacy.RdpBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpFedSgdTest {

    /** The benchmarks' CNN attention model. */
    private static final long DIM = 107_393;

    @Test
    void theSharesOfKMinSitesTogetherHaveAtLeastTheCentralVarianceAndNotMuchMore() {
        for (int k : new int[] {1, 3, 4, 7}) {
            DpFedSgd dp = new DpFedSgd(1.0, 1.318, 0.25, k);
            GradientGrid grid = dp.grid(DIM);
            BigInteger share = dp.shareVariance(grid);
            BigDecimal central = new BigDecimal(1.318).pow(2).multiply(BigDecimal.valueOf(grid.boundSquared()));
            BigDecimal summed = new BigDecimal(share.multiply(BigInteger.valueOf(k)));
            assertThat(summed).as("K_min = %d", k).isGreaterThanOrEqualTo(central);
            // the two ceilings add at most K_min + 1 grid units² to a variance of about 2^30
            assertThat(summed.subtract(central)).isLessThanOrEqualTo(BigDecimal.valueOf(k + 1));
        }
    }

    @Test
    void oneSitesShareAloneHasOnlyOneOverKMinOfTheCentralVariance() {
        DpFedSgd dp = new DpFedSgd(1.0, 2.0, 0.25, 4);
        GradientGrid grid = dp.grid(DIM);
        double ratio = dp.shareVariance(grid).doubleValue() / grid.variance().doubleValue();
        assertThat(ratio).isCloseTo(0.25, within(1e-8));
    }

    @Test
    void theSumOfKMinSharesHasStandardDeviationSigmaTimesTheGridsSensitivity() {
        DpFedSgd dp = new DpFedSgd(2.0, 1.5, 0.5, 4);
        GradientGrid grid = dp.grid(64);
        int n = 40_000;
        long[] sum = new long[n];
        long[] one = new long[n];
        GradientNoise noise = GradientNoise.seeded(11);
        noise.addDiscreteGaussian(one, dp.shareVariance(grid));
        for (int site = 0; site < 4; site++) {
            long[] share = new long[n];
            noise.addDiscreteGaussian(share, dp.shareVariance(grid));
            for (int i = 0; i < n; i++) {
                sum[i] += share[i];
            }
        }
        double expected = 1.5 * Math.sqrt((double) grid.boundSquared());
        // the sample std of 40,000 normals is within 1 % (2.8 standard errors); one share is half the central std
        assertThat(std(sum)).isCloseTo(expected, within(0.01 * expected));
        assertThat(std(one)).isCloseTo(expected / 2, within(0.01 * expected / 2));
        // in gradient units: σ·C up to the grid's rounding term
        assertThat(std(sum) * grid.unit()).isCloseTo(1.5 * 2.0, within(0.03));
    }

    @Test
    void theChargedMultiplierIsSigmaAtTheGridsVariancesAndNeverLess() {
        for (double sigma : new double[] {0.5, 1.318, 6.659}) {
            for (int k : new int[] {1, 3, 4}) {
                DpFedSgd dp = new DpFedSgd(1.0, sigma, 0.25, k);
                double z = dp.centralNoiseMultiplier(dp.grid(DIM), DIM);
                assertThat(z).as("σ %s, K_min %d", sigma, k).isGreaterThanOrEqualTo(sigma)
                        .isLessThan(sigma * (1 + 1e-6));
            }
        }
        assertThat(new DpFedSgd(1.0, 0, 0.25, 3).centralNoiseMultiplier(new DpFedSgd(1.0, 0, 0.25, 3).grid(DIM), DIM))
                .as("σ = 0: no privacy").isZero();
    }

    @Test
    void eachRoundIsChargedAsOneSampledGaussianStepOverThePooledPatients() {
        // ε = 8 at δ = 1e-5 over 40 rounds at q = 0.25: the σ of the DP-SGD recipe with the same 40 steps
        double sigma = NoiseCalibration.noiseMultiplierFor(8, 1e-5, 0.25, 40);
        assertThat(sigma).isCloseTo(1.318, within(0.001));
        DpFedSgd dp = new DpFedSgd(1.0, sigma, 0.25, 4);
        double z = dp.centralNoiseMultiplier(dp.grid(DIM), DIM);
        RdpBudget ledger = RdpBudget.empty();
        for (int round = 0; round < 40; round++) {
            ledger = ledger.compose(dp.samplingRate(), z, 1);
        }
        PrivacySpent spent = ledger.spent(1e-5);
        PrivacySpent oneRun = RdpAccountant.epsilonOfSampledGaussian(0.25, z, 40, 1e-5);
        assertThat(spent.epsilon()).isCloseTo(oneRun.epsilon(), within(1e-9));
        assertThat(spent.epsilon()).isLessThanOrEqualTo(8.0).isGreaterThan(7.99);
        // one round more than planned goes over the target
        assertThat(ledger.compose(0.25, z, 1).spent(1e-5).epsilon()).isGreaterThan(8.0);
    }

    @Test
    void aSitesLedgerChargesEveryRoundAsOneStepAtTheChargedMultiplier(@TempDir Path dir) throws Exception {
        double sigma = NoiseCalibration.noiseMultiplierFor(4, 1e-5, 0.25, 40);
        DpFedSgd dp = new DpFedSgd(1.0, sigma, 0.25, 3);
        double z = dp.centralNoiseMultiplier(dp.grid(DIM), DIM);
        Path file = dir.resolve(PrivacyLedger.FILE_NAME);
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5);
        for (int round = 1; round <= 40; round++) {
            ledger.charge("fed-dp-fedsgd", round, String.format("%064x", round), dp.samplingRate(), z, 1);
        }
        double expected = RdpAccountant.epsilonOfSampledGaussian(0.25, z, 40, 1e-5).epsilon();
        assertThat(PrivacyLedger.open(file, 1e-5).spentIn("fed-dp-fedsgd").epsilon())
                .isCloseTo(expected, within(1e-9)).isLessThanOrEqualTo(4.0);
    }

    @Test
    void theCoordinatorDividesTheUnmaskedSumByTheExpectedLotAndStepsAgainstIt() {
        DpFedSgd dp = new DpFedSgd(1.0, 1.0, 0.25, 3);
        GradientGrid grid = dp.grid(3);
        long[] sum = {Math.round(8 / grid.unit()), 0, -Math.round(4 / grid.unit())};
        float[] delta = dp.pseudoDelta(sum, grid, 16); // expected lot 4
        assertThat(delta[0]).isCloseTo(-2f, within(1e-6f));
        assertThat(delta[1]).isZero();
        assertThat(delta[2]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void badSettingsAreRefusedSayingWhatIsWrong() {
        assertThatThrownBy(() -> new DpFedSgd(0, 1, 0.25, 3)).hasMessageContaining("clip norm C")
                .hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> new DpFedSgd(1, -1, 0.25, 3)).hasMessageContaining("noise multiplier σ")
                .hasMessageContaining("≥ 0");
        assertThatThrownBy(() -> new DpFedSgd(1, Double.NaN, 0.25, 3)).hasMessageContaining("noise multiplier σ");
        assertThatThrownBy(() -> new DpFedSgd(1, 1, 0, 3)).hasMessageContaining("sampling rate q must be in (0, 1]");
        assertThatThrownBy(() -> new DpFedSgd(1, 1, 1.5, 3)).hasMessageContaining("got 1.5");
        assertThatThrownBy(() -> new DpFedSgd(1, 1, 0.25, 0)).hasMessageContaining("K_min ≥ 1");
        DpFedSgd dp = new DpFedSgd(1, 1, 0.25, 3);
        assertThatThrownBy(() -> dp.expectedLot(0)).hasMessageContaining("no training bags");
    }

    private static double std(long[] v) {
        double sum = 0;
        double squares = 0;
        for (long x : v) {
            sum += x;
            squares += (double) x * x;
        }
        double mean = sum / v.length;
        return Math.sqrt(squares / v.length - mean * mean);
    }
}
