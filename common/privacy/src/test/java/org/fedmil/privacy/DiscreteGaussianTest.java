package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiscreteGaussianTest {

    /** P[X = x] of N_Z(0, σ²) for |x| ≤ range, normalised over a range whose excluded mass is below 1e-30. */
    private static double[] exactPmf(double variance, int range) {
        double[] p = new double[2 * range + 1];
        double z = 0;
        for (int x = -range; x <= range; x++) {
            p[x + range] = Math.exp(-(double) x * x / (2 * variance));
            z += p[x + range];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    /** Pearson's χ² of the samples against the pmf, bins with expected count below 5 merged into the two tails. */
    private static double[] chiSquare(long[] samples, double[] pmf) {
        int range = pmf.length / 2;
        long[] counts = new long[pmf.length];
        for (long s : samples) {
            counts[(int) Math.max(0, Math.min(pmf.length - 1, s + range))]++;
        }
        int lo = 0;
        int hi = pmf.length - 1;
        int n = samples.length;
        double tailLo = 0;
        long countLo = 0;
        while (pmf[lo] * n < 5) {
            tailLo += pmf[lo];
            countLo += counts[lo++];
        }
        double tailHi = 0;
        long countHi = 0;
        while (pmf[hi] * n < 5) {
            tailHi += pmf[hi];
            countHi += counts[hi--];
        }
        double chi = 0;
        int bins = 0;
        for (int i = lo; i <= hi; i++) {
            double e = pmf[i] * n;
            chi += (counts[i] - e) * (counts[i] - e) / e;
            bins++;
        }
        for (double[] tail : new double[][] {{tailLo, countLo}, {tailHi, countHi}}) {
            if (tail[0] * n >= 1e-9) {
                double e = tail[0] * n;
                chi += (tail[1] - e) * (tail[1] - e) / e;
                bins++;
            }
        }
        return new double[] {chi, bins - 1};
    }

    /** A χ² bound with p ≈ 1e-9 under the null for the degrees of freedom here (≤ 40): mean + 8 sd + 20. */
    private static double bound(double dof) {
        return dof + 8 * Math.sqrt(2 * dof) + 20;
    }

    private static long[] draw(DiscreteGaussian g, int n) {
        long[] out = new long[n];
        g.sample(out);
        return out;
    }

    @Test
    void samplesFollowTheExactPmfForSmallRationalVariances() {
        Object[][] cases = {{1L, 1L}, {9L, 4L}, {1L, 4L}, {25L, 1L}, {10L, 3L}};
        for (Object[] c : cases) {
            long num = (Long) c[0];
            long den = (Long) c[1];
            double variance = (double) num / den;
            DiscreteGaussian g = new DiscreteGaussian(BigInteger.valueOf(num), BigInteger.valueOf(den),
                    new Random(num * 31 + den));
            double[] pmf = exactPmf(variance, 60);
            double[] chi = chiSquare(draw(g, 200_000), pmf);
            assertThat(chi[0]).as("χ² of N_Z(0, %d/%d), %s degrees of freedom", num, den, chi[1])
                    .isLessThan(bound(chi[1]));
        }
    }

    @Test
    void theLongAndTheBigIntegerPathsBothDrawTheExactPmfAtAGridSizedSigma() {
        BigInteger variance = BigInteger.valueOf(1_000_003); // σ ≈ 1000, as DP-SGD's grid gives at a coarse k
        DiscreteGaussian fast = new DiscreteGaussian(variance, BigInteger.ONE, new RandomBits(new Random(21)), true);
        DiscreteGaussian slow = new DiscreteGaussian(variance, BigInteger.ONE, new RandomBits(new Random(22)), false);
        assertThat(fast.usesLongArithmetic()).isTrue();
        assertThat(slow.usesLongArithmetic()).isFalse();
        double[] pmf = exactPmf(variance.doubleValue(), 8000);
        for (DiscreteGaussian g : new DiscreteGaussian[] {fast, slow}) {
            double[] chi = chiSquare(draw(g, 200_000), pmf);
            assertThat(chi[0]).as("χ² (long path %s), %s degrees of freedom", g.usesLongArithmetic(), chi[1])
                    .isLessThan(bound(chi[1]));
        }
    }

    @Test
    void dpSgdSizedVariancesTakeTheLongPathAndSiteLevelOnesTheBigIntegerOne() {
        // σ just below 2^15 grid units (DP-SGD's grid keeps it there) fits 62 bits; σ = 1.3·2^40 does not
        DiscreteGaussian dpSgd = new DiscreteGaussian(BigInteger.valueOf(32_000L * 32_000L), BigInteger.ONE,
                new Random(4));
        assertThat(dpSgd.usesLongArithmetic()).isTrue();
        assertThat(DiscreteGaussian.withSigma(1.3 * 0x1p40, new Random(4)).usesLongArithmetic()).isFalse();
        int n = 100_000;
        long[] s = draw(dpSgd, n);
        double squares = 0;
        for (long x : s) {
            squares += (double) x * x;
        }
        // standard error of the variance σ²·√(2/n) ≈ 0.45 %
        assertThat(squares / n / (32_000.0 * 32_000.0)).isCloseTo(1, within(0.03));
    }

    @Test
    void theChiSquareCheckRejectsARoundedContinuousGaussian() {
        // the check above has power: rounding N(0, 1/4) to the integers is a different distribution from N_Z(0, 1/4)
        Random r = new Random(3);
        long[] rounded = new long[200_000];
        for (int i = 0; i < rounded.length; i++) {
            rounded[i] = Math.round(0.5 * r.nextGaussian());
        }
        double[] chi = chiSquare(rounded, exactPmf(0.25, 60));
        assertThat(chi[0]).isGreaterThan(bound(chi[1]));
    }

    @Test
    void meanIsZeroAndVarianceMatchesTheExactVarianceOfTheDiscreteGaussian() {
        // CKS 2020 (Prop. 19 / Cor. 9): Var N_Z(0, σ²) < σ², and close to σ² once σ ≥ 1
        for (double variance : new double[] {0.25, 1, 7}) {
            double[] pmf = exactPmf(variance, 60);
            double exactVar = 0;
            double fourth = 0;
            for (int i = 0; i < pmf.length; i++) {
                double x = i - 60;
                exactVar += pmf[i] * x * x;
                fourth += pmf[i] * x * x * x * x;
            }
            assertThat(exactVar).isLessThan(variance);
            DiscreteGaussian g = DiscreteGaussian.withSigma(Math.sqrt(variance), new Random(11));
            int n = 300_000;
            long[] s = draw(g, n);
            double sum = 0;
            double squares = 0;
            for (long x : s) {
                sum += x;
                squares += (double) x * x;
            }
            double varianceSe = Math.sqrt((fourth - exactVar * exactVar) / n);
            assertThat(sum / n).isCloseTo(0, within(6 * Math.sqrt(exactVar / n)));
            assertThat(squares / n).isCloseTo(exactVar, within(6 * varianceSe));
        }
        // by hand at σ² = 1/4: (2e^−2 + 8e^−8) / (1 + 2e^−2 + 2e^−8) = 0.21501…, well below σ²
        assertThat(exactVarianceAtQuarter()).isCloseTo(0.21501, within(1e-5));
    }

    private static double exactVarianceAtQuarter() {
        double[] pmf = exactPmf(0.25, 60);
        double v = 0;
        for (int i = 0; i < pmf.length; i++) {
            v += pmf[i] * (i - 60.0) * (i - 60.0);
        }
        return v;
    }

    @Test
    void aLargeSigmaFromSecureRandomHasVarianceSigmaSquared() {
        double sigma = 3.0e6;
        DiscreteGaussian g = DiscreteGaussian.withSigma(sigma, new SecureRandom());
        int n = 100_000;
        long[] s = draw(g, n);
        double sum = 0;
        double squares = 0;
        for (long x : s) {
            sum += x;
            squares += (double) x * x;
        }
        // standard error of the variance is σ²·√(2/n) ≈ 0.45 %: 3 % is more than 6 of them
        assertThat(squares / n / (sigma * sigma)).isCloseTo(1, within(0.03));
        assertThat(sum / n).isCloseTo(0, within(6 * sigma / Math.sqrt(n)));
    }

    @Test
    void withSigmaReadsTheDoubleExactlySoTheVarianceIsNeverBelowTheAskedOne() {
        for (double sigma : new double[] {1e-30, 0.7, 1, 12345.678, 0x1p40}) {
            assertThat(DiscreteGaussian.withSigma(sigma, new Random(1)).variance())
                    .isCloseTo(sigma * sigma, within(sigma * sigma * 1e-15));
        }
    }

    @Test
    void bernoulliOfExpMinusGammaHasProbabilityExpMinusGamma() {
        DiscreteGaussian g = DiscreteGaussian.withSigma(1, new Random(5));
        int n = 200_000;
        long[][] gammas = {{1, 1}, {5, 2}, {1, 3}, {0, 7}};
        for (long[] gamma : gammas) {
            int hits = 0;
            for (int i = 0; i < n; i++) {
                if (g.bernoulliExp(BigInteger.valueOf(gamma[0]), BigInteger.valueOf(gamma[1]))) {
                    hits++;
                }
            }
            double p = Math.exp(-(double) gamma[0] / gamma[1]);
            assertThat((double) hits / n).isCloseTo(p, within(6 * Math.sqrt(p * (1 - p) / n) + 1e-12));
        }
    }

    @Test
    void nonPositiveOrHugeVariancesAreRefused() {
        assertThatThrownBy(() -> new DiscreteGaussian(BigInteger.ZERO, BigInteger.ONE, new Random()))
                .hasMessageContaining("positive fraction");
        assertThatThrownBy(() -> DiscreteGaussian.withSigma(0, new Random())).hasMessageContaining("σ must be in");
        assertThatThrownBy(() -> DiscreteGaussian.withSigma(0x1p51, new Random())).hasMessageContaining("σ must be in");
        assertThatThrownBy(() -> DiscreteGaussian.withSigma(Double.NaN, new Random())).hasMessageContaining("σ must be");
    }
}
