package org.fedmil.secagg;

/**
 * The fixed-point encoding of a weighted delta into Z_2^64 and back (parameters and error bound in
 * {@link SecAggParameters}).
 */
public final class FixedPoint {

    private FixedPoint() {
    }

    /** What a site encodes: the ring elements and how many coordinates had to be clamped to ±B. */
    public record Encoded(long[] values, int clamped) {
    }

    /**
     * round(bags · clamp(x, ±B) · 2^f) per coordinate. Clamping is post-processing of whatever the site computed
     * (also of a DP-noised delta), so it never weakens the site's privacy guarantee.
     */
    public static Encoded encode(float[] delta, long bags, SecAggParameters p) {
        if (delta.length != p.length()) {
            throw new IllegalArgumentException("delta has " + delta.length + " values, round " + p.round()
                    + " expects " + p.length());
        }
        if (bags < 1 || bags > p.maxBags()) {
            throw new IllegalArgumentException("bag count " + bags + " is outside 1.." + p.maxBags()
                    + ", the bound round " + p.round() + " was encoded for");
        }
        double bound = p.coordinateBound();
        long[] out = new long[delta.length];
        int clamped = 0;
        for (int i = 0; i < delta.length; i++) {
            double x = delta[i];
            if (Double.isNaN(x)) {
                throw new IllegalArgumentException("delta coordinate " + i + " is NaN");
            }
            if (x > bound) {
                x = bound;
                clamped++;
            } else if (x < -bound) {
                x = -bound;
                clamped++;
            }
            out[i] = Math.round(Math.scalb(bags * x, p.fractionalBits()));
        }
        return new Encoded(out, clamped);
    }

    /** The weighted mean Σ n_k x_k / Σ n_k from the unmasked ring sum. */
    public static float[] decodeMean(long[] sum, long totalBags, SecAggParameters p) {
        if (totalBags < 1) {
            throw new IllegalArgumentException("total bag count " + totalBags + " must be positive");
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (float) (Math.scalb((double) sum[i], -p.fractionalBits()) / totalBags);
        }
        return out;
    }
}
