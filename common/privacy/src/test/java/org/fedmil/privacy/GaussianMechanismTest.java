package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class GaussianMechanismTest {

    private static TensorSet delta(long seed, int a, int b, double scale) {
        Random r = new Random(seed);
        float[] x = new float[a];
        float[] y = new float[b];
        for (int i = 0; i < a; i++) {
            x[i] = (float) (scale * r.nextGaussian());
        }
        for (int i = 0; i < b; i++) {
            y[i] = (float) (scale * r.nextGaussian());
        }
        return new TensorSet(List.of(new NamedTensor("w", new long[] {a}, x), new NamedTensor("b", new long[] {b}, y)));
    }

    /** The clipped delta, recovered exactly by running with noise so small it vanishes in float32. */
    private static TensorSet clippedOnly(TensorSet d, double c) {
        return new GaussianMechanism(c, 1e-30, new Random(1)).apply(d).noised();
    }

    @Test
    void aDeltaOverTheClipNormIsScaledToExactlyTheClipNormOverAllTensorsTogether() {
        TensorSet d = delta(3, 1000, 24, 1.0); // norm ≈ 32
        double norm = GaussianMechanism.l2Norm(d);
        assertThat(norm).isGreaterThan(20);
        GaussianMechanism.Release release = new GaussianMechanism(2.5, 1e-30, new Random(1)).apply(d);
        assertThat(release.clipped()).isTrue();
        assertThat(release.normBeforeClipping()).isEqualTo(norm);
        assertThat(GaussianMechanism.l2Norm(release.noised())).isCloseTo(2.5, within(2.5e-5));
        // direction kept: every coordinate scaled by the same factor
        float[] in = d.get("b").values();
        float[] out = release.noised().get("b").values();
        for (int i = 0; i < in.length; i++) {
            assertThat((double) out[i]).isCloseTo(in[i] * 2.5 / norm, within(1e-6 * Math.abs(in[i]) + 1e-30));
        }
    }

    @Test
    void aDeltaUnderTheClipNormIsNotScaled() {
        TensorSet d = delta(4, 500, 10, 0.01);
        GaussianMechanism.Release release = new GaussianMechanism(100, 1e-30, new Random(1)).apply(d);
        assertThat(release.clipped()).isFalse();
        // not scaled: each coordinate only moved onto the noise's grid, by at most half a step γ = 2^−k
        double halfStep = Math.scalb(0.5, -GaussianMechanism.gridExponent(100));
        for (String name : List.of("w", "b")) {
            float[] in = d.get(name).values();
            float[] out = release.noised().get(name).values();
            for (int i = 0; i < in.length; i++) {
                assertThat((double) out[i]).isCloseTo(in[i], within(halfStep + Math.ulp(in[i])));
            }
        }
    }

    @Test
    void noiseIsCentredWithStandardDeviationSigmaTimesClipNorm() {
        int n = 400_000;
        TensorSet d = delta(5, n, 7, 0.01); // norm ≈ 6.3: clipped to C = 2
        double c = 2;
        double sigma = 0.7;
        GaussianMechanism.Release release = new GaussianMechanism(c, sigma, new Random(42)).apply(d);
        TensorSet clipped = clippedOnly(d, c);
        double sum = 0;
        double sumSquares = 0;
        double fourth = 0;
        int count = 0;
        for (int t = 0; t < 2; t++) {
            float[] noised = release.noised().tensors().get(t).values();
            float[] base = clipped.tensors().get(t).values();
            for (int i = 0; i < noised.length; i++) {
                double e = noised[i] - base[i];
                sum += e;
                sumSquares += e * e;
                fourth += e * e * e * e;
                count++;
            }
        }
        double mean = sum / count;
        double std = Math.sqrt(sumSquares / count - mean * mean);
        double expected = sigma * c;
        assertThat(release.noiseStandardDeviation()).isEqualTo(expected);
        // sampling error of the std is about expected/√(2n) ≈ 0.11 %; 1 % is ~9 standard errors
        assertThat(std).isCloseTo(expected, within(0.01 * expected));
        // mean's standard error is expected/√n ≈ 0.0022
        assertThat(mean).isCloseTo(0, within(5 * expected / Math.sqrt(count)));
        // Gaussian, not merely the right variance: kurtosis E[e⁴]/σ⁴ = 3 (a uniform would give 1.8)
        assertThat(fourth / count / Math.pow(expected, 4)).isCloseTo(3, within(0.05));
    }

    @Test
    void theSameSeedGivesTheSameNoiseAndAnotherSeedDifferentNoise() {
        TensorSet d = delta(6, 100, 3, 1);
        TensorSet a = new GaussianMechanism(1, 1, new Random(9)).apply(d).noised();
        TensorSet b = new GaussianMechanism(1, 1, new Random(9)).apply(d).noised();
        TensorSet c = new GaussianMechanism(1, 1, new Random(10)).apply(d).noised();
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void theDefaultConstructorDrawsItsOwnNoise() {
        TensorSet d = delta(7, 1000, 1, 0.001);
        GaussianMechanism.Release r = new GaussianMechanism(1, 1).apply(d);
        assertThat(r.noised()).isNotEqualTo(d);
        assertThat(GaussianMechanism.l2Norm(r.noised())).isGreaterThan(20); // ≈ √1001 ≈ 31.6
    }

    @Test
    void zeroNoiseIsRefusedBecauseItIsNotPrivate() {
        assertThatThrownBy(() -> new GaussianMechanism(1, 0)).hasMessageContaining("σ must be finite and > 0")
                .hasMessageContaining("do not apply the mechanism");
        assertThatThrownBy(() -> new GaussianMechanism(0, 1)).hasMessageContaining("clip norm C");
    }

    @Test
    void aDivergedDeltaIsRefusedNamingTheTensor() {
        TensorSet d = new TensorSet(List.of(new NamedTensor("layer1.weight", new long[] {2},
                new float[] {1, Float.NaN})));
        assertThatThrownBy(() -> new GaussianMechanism(1, 1).apply(d)).hasMessageContaining("layer1.weight")
                .hasMessageContaining("NaN");
    }

    @Test
    void theInputDeltaIsNotModified() {
        TensorSet d = delta(8, 50, 2, 5);
        TensorSet copy = delta(8, 50, 2, 5);
        new GaussianMechanism(1, 1, new Random(1)).apply(d);
        assertThat(d).isEqualTo(copy);
    }

    @Test
    void theSensitivityInGridStepsCoversTheRoundingOfAWorstCaseDelta() {
        // every coordinate half a grid step above a grid point: Math.round moves all of them up by ½ step
        double c = 3;
        int k = GaussianMechanism.gridExponent(c);
        assertThat(Math.scalb(c, k)).isBetween(0x1p40, 0x1p41);
        int d = 10_000;
        double perCoordinate = c / Math.sqrt(d); // the delta's norm is exactly C: no clipping
        double steps = Math.floor(Math.scalb(perCoordinate, k)) + 0.5;
        double rounded = Math.round(steps);
        double roundedNorm = Math.sqrt(d) * rounded;
        assertThat(roundedNorm).isGreaterThan(Math.scalb(c, k)); // rounding alone would exceed C/γ
        assertThat(GaussianMechanism.sensitivityInGridSteps(c, d)).isGreaterThanOrEqualTo(roundedNorm);
    }
}
