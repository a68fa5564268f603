package org.fedmil.mil.train;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The integer grid DP-SGD sums and noises on, so that the noise can be the exact discrete Gaussian: each bag's
 * clipped gradient is divided by the granularity γ = C/2^k and rounded to the integers, the lot's integer sum gets
 * N_Z(0, N) on every coordinate, and the result times γ is the noised gradient sum.
 *
 * <p>Rounding is randomised (up with probability the fractional part, so unbiased) and conditional, as in Kairouz,
 * Liu &amp; Steinke (ICML 2021): a rounded bag whose squared L2 norm exceeds B = c² + d/4 + √(2 ln 2^20)·(c + √d/2),
 * c = 2^k·(1 + 10⁻⁶) (the slack covers the floating-point clip), is rounded again, and after
 * {@value #MAX_ROUNDINGS} failures rounded towards zero, which never lengthens it. So adding or removing one bag moves
 * the integer sum by at most √B, whatever the rounding drew, and N = ⌈σ²·B⌉ (exact) makes one step
 * (1/(2σ²))-zCDP by CKS 2020 (Theorem 14): Rényi DP α/(2σ²), the continuous Gaussian's at noise multiplier σ,
 * which is what {@link org.fedmil.privacy.RdpAccountant} charges per step.
 *
 * <p>k is the largest in [{@value #MIN_BITS}, {@value #MAX_BITS}] with σ·2^k ≤ 2^15, so that the noise's σ in grid
 * units stays below about 2^15 and the sampler runs in {@code long} arithmetic; the rounding adds variance at most
 * ¼ unit² per bag and coordinate, against the noise's σ²·B ≥ σ²·4^k.
 *
 * @param bits          k: γ = C·2^−k
 * @param unit          γ
 * @param boundSquared  B, the most a bag's rounded gradient's squared norm may be (grid units²)
 * @param variance      N = ⌈σ²·B⌉, the discrete Gaussian's variance parameter (grid units²)
 */
public record GradientGrid(int bits, double unit, long boundSquared, BigInteger variance) {

    static final int MIN_BITS = 10;
    static final int MAX_BITS = 30;
    static final int MAX_ROUNDINGS = 20;
    private static final double CLIP_SLACK = 1e-6;
    /** √(2 ln(1/β)) at β = 2^−20: a rounding is redone with probability at most β. */
    private static final double TAIL = Math.sqrt(2 * 20 * Math.log(2));

    /** The grid for {@code dp} over {@code dim} weights. */
    public static GradientGrid of(DpSgd dp, long dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("a model needs at least one weight, got " + dim);
        }
        int k = (int) Math.floor(15 - Math.log(dp.noiseMultiplier()) / Math.log(2));
        k = Math.max(MIN_BITS, Math.min(MAX_BITS, k));
        double c = Math.scalb(1.0, k) * (1 + CLIP_SLACK);
        double b = c * c + dim / 4.0 + TAIL * (c + Math.sqrt((double) dim) / 2);
        long boundSquared = (long) Math.floor(b);
        BigInteger variance = new BigDecimal(dp.noiseMultiplier()).pow(2).multiply(BigDecimal.valueOf(boundSquared))
                .setScale(0, RoundingMode.CEILING).toBigIntegerExact().max(BigInteger.ONE);
        return new GradientGrid(k, Math.scalb(dp.clipNorm(), -k), boundSquared, variance);
    }

    /** The noise's standard deviation in gradient units, √N·γ (σ·C up to the grid's rounding term). */
    public double noiseStandardDeviation() {
        return Math.sqrt(variance.doubleValue()) * unit;
    }

    /**
     * Adds {@code gradient}·{@code scale} (the clipped gradient, norm at most C) in grid units to {@code sum},
     * rounded as the class says; {@code scratch} has {@code gradient}'s shape. Returns how many roundings it took.
     */
    int addRounded(float[][] gradient, double scale, long[][] sum, long[][] scratch, GradientNoise noise) {
        double toUnits = scale / unit;
        int attempt = 1;
        while (!roundInto(gradient, toUnits, scratch, attempt < MAX_ROUNDINGS ? noise : null)) {
            attempt++;
        }
        for (int p = 0; p < sum.length; p++) {
            long[] s = sum[p];
            long[] r = scratch[p];
            for (int i = 0; i < s.length; i++) {
                s[i] += r[i];
            }
        }
        return attempt;
    }

    /** One rounding into {@code out}; false when its squared norm exceeds B. {@code noise} null: towards zero. */
    private boolean roundInto(float[][] gradient, double toUnits, long[][] out, GradientNoise noise) {
        long squares = 0;
        for (int p = 0; p < gradient.length; p++) {
            float[] g = gradient[p];
            long[] o = out[p];
            for (int i = 0; i < g.length; i++) {
                double x = g[i] * toUnits;
                long r;
                if (noise == null) {
                    r = (long) x;
                } else {
                    double floor = Math.floor(x);
                    r = (long) floor + (noise.roundingUniform() < x - floor ? 1 : 0);
                }
                o[i] = r;
                squares += r * r; // |r| ≤ 2^31 and the running sum stops just past B < 2^62: no overflow
                if (squares > boundSquared && noise != null) {
                    return false;
                }
            }
        }
        if (squares > boundSquared) {
            throw new IllegalStateException("a bag's gradient rounded towards zero has squared norm " + squares
                    + " above the bound " + boundSquared + " grid units²: the clip did not hold");
        }
        return true;
    }

    /** {@code units}·γ as floats, the noised sum in gradient units. */
    float[] toValues(long[] units) {
        float[] out = new float[units.length];
        for (int i = 0; i < units.length; i++) {
            out[i] = (float) (units[i] * unit);
        }
        return out;
    }
}
