package org.fedmil.privacy;

import java.util.Random;

/**
 * The distributed discrete Gaussian mechanism (Kairouz, Liu &amp; Steinke, "The Distributed Discrete Gaussian
 * Mechanism for Federated Learning with Secure Aggregation", ICML 2021): every site clips its delta to L2 norm C,
 * scales it into the integers, and adds only its share of the noise, N_Z(0, s²) with s = z·Δ/√n per coordinate,
 * before secure aggregation masks it. The coordinator sees only the sum, which carries the noise of every site that
 * contributed; when at least n did, the sum is as private as one continuous Gaussian release at (almost) noise
 * multiplier z, and no single site's update is seen on its own.
 *
 * <p>Sensitivity. One site's contribution is round(w · clip_C(x) · scale) with weight w ≤ w_max, so its L2 norm is at
 * most Δ = w_max · C · scale · (1 + 10^−6) + √d/2 integer units (rounding moves each of the d coordinates by at most
 * ½; the 10^−6 covers the floating-point clip). Deterministic rounding is used instead of the paper's conditional
 * randomized rounding: its bound is worst-case and needs no probability β of failure, at the price of the √d/2
 * term, which is negligible once C·scale is large (2^16 and more here).
 *
 * <p>Privacy of the sum (KLS 2021, Proposition 14, the third of its three bounds): for n sites each adding
 * independent N_Z(0, s²), Rényi DP at order α is at most α/2 · (Δ/(√n·s) + √d·τ)², τ = 10·Σ_{k=1}^{n−1}
 * exp(−2π²s²·k/(k+1)). That is the continuous Gaussian's α/(2z'²) with z' = 1/(Δ/(√n·s) + √d·τ), which
 * {@link #centralNoiseMultiplier} returns and the ledger charges. The slack √d·τ, from the sum of discrete
 * Gaussians not being a discrete Gaussian, is below 10^−300 for s ≥ 10 and is charged anyway. More than n
 * contributors only add independent noise (post-processing), so n is the fewest survivors with which a round
 * can finish: secure aggregation's threshold t. A round that finishes with S &gt; t survivors has S/t times the
 * target variance: the price of tolerating dropouts.
 *
 * @param clipNorm        C, the L2 norm each site's delta is clipped to
 * @param noiseMultiplier z, the central noise multiplier the sum is to carry
 * @param minContributors n, the fewest sites whose noise is in any sum that is released
 */
public record DistributedDiscreteGaussian(double clipNorm, double noiseMultiplier, int minContributors) {

    private static final double CLIP_SLACK = 1e-6;
    private static final double SIGMA_SLACK = 1e-9;

    public DistributedDiscreteGaussian {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm C must be finite and > 0, got " + clipNorm);
        }
        if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("noise multiplier must be finite and > 0, got " + noiseMultiplier);
        }
        if (minContributors < 1) {
            throw new IllegalArgumentException("the fewest contributors n must be at least 1, got " + minContributors);
        }
    }

    /** Δ in integer units for a delta of {@code dim} coordinates encoded at {@code scale} = w_max · 2^f. */
    public double sensitivity(double scale, long dim) {
        return clipNorm * scale * (1 + CLIP_SLACK) + Math.sqrt((double) dim) / 2;
    }

    /**
     * s = z·Δ/√n · (1 + 10^−9): the standard deviation of the noise one site adds, in integer units. The factor
     * keeps the central multiplier at or above z after floating-point rounding, so a site never claims less than
     * the federation asked for when the slack τ is nil.
     */
    public double localSigma(double sensitivity) {
        return noiseMultiplier * sensitivity / Math.sqrt(minContributors) * (1 + SIGMA_SLACK);
    }

    /** τ of KLS 2021 for n contributors of local standard deviation s. */
    public static double tau(double localSigma, int contributors) {
        double tau = 0;
        for (int k = 1; k < contributors; k++) {
            tau += Math.exp(-2 * Math.PI * Math.PI * localSigma * localSigma * k / (k + 1.0));
        }
        return 10 * tau;
    }

    /**
     * z' such that the released sum is at least as private as the continuous Gaussian mechanism at noise multiplier
     * z' ≤ z (what the accountant charges).
     */
    public double centralNoiseMultiplier(double scale, long dim) {
        double delta = sensitivity(scale, dim);
        double s = localSigma(delta);
        return 1 / (delta / (Math.sqrt(minContributors) * s) + Math.sqrt((double) dim) * tau(s, minContributors));
    }

    /** The factor min(1, C/‖x‖) that clips {@code delta} to L2 norm C. */
    public double clipFactor(float[] delta) {
        double sumSquares = 0;
        for (int i = 0; i < delta.length; i++) {
            double x = delta[i];
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("delta coordinate " + i + " is " + x + "; local training "
                        + "diverged: do not release it");
            }
            sumSquares += x * x;
        }
        double norm = Math.sqrt(sumSquares);
        return norm > clipNorm ? clipNorm / norm : 1.0;
    }

    /**
     * Adds this site's share of the noise to its encoded contribution, in place, with wrap-around (the values live
     * in Z_2^64 and the noise survives the modular sum exactly).
     */
    public void addNoise(long[] encoded, double scale, Random random) {
        DiscreteGaussian g = DiscreteGaussian.withSigma(localSigma(sensitivity(scale, encoded.length)), random);
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] += g.sample();
        }
    }
}
