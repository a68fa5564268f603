package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DistributedDiscreteGaussianTest {

    @Test
    void eachSiteAddsOneNthOfTheCentralVariance() {
        DistributedDiscreteGaussian m = new DistributedDiscreteGaussian(2, 1.5, 4);
        double delta = m.sensitivity(0x1p20, 10_000);
        assertThat(delta).isCloseTo(2 * 0x1p20 * (1 + 1e-6) + 50, within(1e-6));
        // n = 4 shares of s² sum to (zΔ)², up to the 10^−9 margin that keeps the charged multiplier ≥ z
        assertThat(4 * Math.pow(m.localSigma(delta), 2) / Math.pow(1.5 * delta, 2)).isCloseTo(1, within(1e-8))
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void theChargedMultiplierIsTheAskedOneWhenTheLocalNoiseIsLarge() {
        // s in the millions: τ = 10·Σ exp(−2π²s²k/(k+1)) underflows to 0 and Proposition 14 is the Gaussian bound
        DistributedDiscreteGaussian m = new DistributedDiscreteGaussian(1, 1.1, 5);
        assertThat(DistributedDiscreteGaussian.tau(m.localSigma(m.sensitivity(0x1p24, 1000)), 5)).isZero();
        assertThat(m.centralNoiseMultiplier(0x1p24, 1000)).isCloseTo(1.1, within(1e-8)).isGreaterThanOrEqualTo(1.1);
    }

    @Test
    void theSlackOfSummingDiscreteGaussiansIsChargedWhenTheLocalNoiseIsTiny() {
        // Δ ≈ 1.5 units, z = 0.5, n = 3: s ≈ 0.43, τ ≈ 10·(e^−1.84 + e^−2.45) ≈ 2.45, √d·τ dominates: z' ≪ z
        DistributedDiscreteGaussian m = new DistributedDiscreteGaussian(1, 0.5, 3);
        double s = m.localSigma(m.sensitivity(1, 1));
        double tau = 10 * (Math.exp(-2 * Math.PI * Math.PI * s * s / 2) + Math.exp(-2 * Math.PI * Math.PI * s * s * 2 / 3));
        assertThat(DistributedDiscreteGaussian.tau(s, 3)).isCloseTo(tau, within(1e-12));
        assertThat(m.centralNoiseMultiplier(1, 1)).isCloseTo(1 / (1 / 0.5 + tau), within(1e-8)).isLessThan(0.5);
    }

    @Test
    void theNoiseOfNSitesSumsToTheCentralVarianceExactlyInTheIntegers() {
        int n = 4;
        DistributedDiscreteGaussian m = new DistributedDiscreteGaussian(1, 2, n);
        double scale = 100; // Δ ≈ 100 + √d/2 units: s ≈ 2·(100 + 50)/2 = 150
        int d = 10_000;
        long[] sum = new long[d];
        Random r = new Random(8);
        for (int site = 0; site < n; site++) {
            long[] share = new long[d];
            m.addNoise(share, scale, r);
            for (int i = 0; i < d; i++) {
                sum[i] += share[i];
            }
        }
        double squares = 0;
        for (long x : sum) {
            squares += (double) x * x;
        }
        double expected = Math.pow(2 * m.sensitivity(scale, d), 2);
        assertThat(squares / d / expected).isCloseTo(1, within(0.06)); // 6 standard errors of 1.4 %
    }

    @Test
    void theClipFactorScalesToTheClipNormAndRefusesADivergedDelta() {
        DistributedDiscreteGaussian m = new DistributedDiscreteGaussian(1, 1, 2);
        assertThat(m.clipFactor(new float[] {3, 4})).isCloseTo(0.2, within(1e-15));
        assertThat(m.clipFactor(new float[] {0.3f, 0.4f})).isEqualTo(1.0);
        assertThatThrownBy(() -> m.clipFactor(new float[] {1, Float.NaN})).hasMessageContaining("coordinate 1");
        assertThatThrownBy(() -> new DistributedDiscreteGaussian(1, 1, 0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new DistributedDiscreteGaussian(1, 0, 2)).hasMessageContaining("noise multiplier");
    }
}
