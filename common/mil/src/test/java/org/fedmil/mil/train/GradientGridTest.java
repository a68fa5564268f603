package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GradientGridTest {

    private static final int DIM = 107_393;

    /** Noise whose rounding always goes up: the worst case for the rounded norm. */
    private static final class AlwaysUp implements GradientNoise {
        int roundings;

        @Override
        public void addDiscreteGaussian(long[] values, BigInteger variance) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean sampled(double q) {
            return true;
        }

        @Override
        public double roundingUniform() {
            roundings++;
            return 0;
        }
    }

    /** A gradient of norm exactly C spread evenly, every coordinate half-way between two grid points. */
    private static float[][] evenGradient(GradientGrid grid, double clip, int dim) {
        float[] g = new float[dim];
        Arrays.fill(g, (float) (clip / Math.sqrt(dim)));
        return new float[][] {g};
    }

    private static double squaredNorm(long[] v) {
        double s = 0;
        for (long x : v) {
            s += (double) x * x;
        }
        return s;
    }

    @Test
    void theGridKeepsTheNoiseBelowTwoToTheFifteenUnitsAndNeverBelowSigmaTimesTheBound() {
        for (double sigma : new double[] {0.5, 1.318, 2.131, 6.659, 40}) {
            GradientGrid grid = GradientGrid.of(new DpSgd(1.0, sigma, 0.25), DIM);
            if (grid.bits() > GradientGrid.MIN_BITS) { // σ = 40 is past the coarsest grid: its noise is larger
                assertThat(sigma * Math.scalb(1.0, grid.bits())).isLessThanOrEqualTo(0x1p15);
            }
            assertThat(grid.bits()).isBetween(GradientGrid.MIN_BITS, GradientGrid.MAX_BITS);
            assertThat(grid.unit()).isEqualTo(Math.scalb(1.0, -grid.bits()));
            // N ≥ σ²·B exactly: the step is (1/(2σ²))-zCDP
            assertThat(new BigDecimal(grid.variance())).isGreaterThanOrEqualTo(
                    new BigDecimal(sigma).pow(2).multiply(BigDecimal.valueOf(grid.boundSquared())));
            assertThat(grid.boundSquared()).isGreaterThanOrEqualTo((long) Math.pow(2, 2 * grid.bits()));
            // and the noise is σ·C to within the rounding's share (d/4 against 4^k)
            assertThat(grid.noiseStandardDeviation()).isCloseTo(sigma, within(sigma * 0.02));
        }
        assertThat(GradientGrid.of(new DpSgd(1.0, 1.318, 0.25), DIM).bits()).isEqualTo(14);
        assertThat(GradientGrid.of(new DpSgd(1.0, 6.659, 0.25), DIM).bits()).isEqualTo(12);
    }

    @Test
    void roundingAlwaysUpIsRefusedByTheNormCheckAndTheBagFallsBackToRoundingTowardsZero() {
        double clip = 1.0;
        GradientGrid grid = GradientGrid.of(new DpSgd(clip, 6.659, 0.25), DIM);
        float[][] gradient = evenGradient(grid, clip, DIM);
        long[][] sum = {new long[DIM]};
        long[][] scratch = {new long[DIM]};
        AlwaysUp up = new AlwaysUp();

        int attempts = grid.addRounded(gradient, 1.0, sum, scratch, up);

        // each coordinate is 4096/√107393 ≈ 12.5 units: rounding all up adds ~0.5 per coordinate, far past B
        assertThat(attempts).isEqualTo(GradientGrid.MAX_ROUNDINGS);
        assertThat(squaredNorm(sum[0])).isLessThanOrEqualTo(grid.boundSquared());
        assertThat(sum[0][0]).isEqualTo((long) (gradient[0][0] / grid.unit()));
    }

    @Test
    void randomisedRoundingStaysWithinTheBoundAndIsUnbiased() {
        double clip = 1.0;
        int dim = 100_000; // 2^14/√dim ≈ 51.8 units: a fractional part to round
        GradientGrid grid = GradientGrid.of(new DpSgd(clip, 1.318, 0.25), dim);
        float[][] gradient = evenGradient(grid, clip, dim);
        double exactUnits = gradient[0][0] / grid.unit();
        long[][] sum = {new long[dim]};
        long[][] scratch = {new long[dim]};
        GradientNoise noise = GradientNoise.seeded(3);
        int bags = 20;
        for (int b = 0; b < bags; b++) {
            int attempts = grid.addRounded(gradient, 1.0, sum, scratch, noise);
            assertThat(attempts).isLessThan(GradientGrid.MAX_ROUNDINGS);
            assertThat(squaredNorm(scratch[0])).isLessThanOrEqualTo(grid.boundSquared());
        }
        double mean = Arrays.stream(sum[0]).asDoubleStream().sum() / ((double) dim * bags);
        // per coordinate the rounding's variance is at most ¼: the mean over 2·10⁶ draws is within 0.002
        assertThat(mean).isCloseTo(exactUnits, within(0.002));
        assertThat(exactUnits - Math.floor(exactUnits)).as("the test needs a fractional part").isBetween(0.05, 0.95);
    }

    @Test
    void aClippedGradientScaledBelowOneIsRoundedAtItsScaledLength() {
        double clip = 0.5;
        GradientGrid grid = GradientGrid.of(new DpSgd(clip, 2.0, 0.25), 1000);
        float[] g = new float[1000];
        g[0] = 30f; // norm 30, clipped to 0.5
        long[][] sum = {new long[1000]};
        grid.addRounded(new float[][] {g}, clip / 30, sum, new long[][] {new long[1000]}, GradientNoise.seeded(1));
        assertThat((double) sum[0][0]).isCloseTo(Math.scalb(1.0, grid.bits()), within(1.0));
        assertThat(grid.toValues(sum[0])[0]).isCloseTo(0.5f, within(1e-3f));
    }
}
