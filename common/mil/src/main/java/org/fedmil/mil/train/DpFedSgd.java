package org.fedmil.mil.train;

import java.math.BigInteger;
import org.fedmil.privacy.DistributedDiscreteGaussian;

/**
 * DP-FedSGD (McMahan et al. 2018, "Learning Differentially Private Recurrent Language Models") with the noise
 * distributed under secure aggregation: one noisy gradient step per round over the patients of every site pooled.
 * Each round every site Poisson-samples its bags with probability q, clips each sampled bag's gradient to L2 norm C,
 * sums the clipped gradients on the integer grid of {@link GradientGrid} and adds its <em>share</em> of the noise,
 * exact discrete Gaussian N_Z(0, ⌈N/K_min⌉) per coordinate with N = ⌈σ²·B⌉ the grid's variance for σ. The sum of
 * any K_min or more shares therefore has variance at least σ²·B, the one-step DP-SGD noise σ·C on the pooled lot.
 * The sum travels masked; the coordinator divides the unmasked sum by the expected lot q·(total bags) and hands
 * minus that mean gradient to its server optimiser.
 *
 * <p>A sum of discrete Gaussians is not itself a discrete Gaussian; Kairouz, Liu &amp; Steinke (ICML 2021,
 * Proposition 14) bound its Rényi divergence as the continuous Gaussian's at the multiplier
 * {@link #centralNoiseMultiplier}, which the accountant charges per round.
 *
 * @param clipNorm        C, the most one bag can move its site's gradient sum (L2 over all parameters)
 * @param noiseMultiplier σ of the noise on the sum of at least {@code minNoisedSites} shares; 0 adds none (no DP)
 * @param samplingRate    q in (0, 1]: each bag's chance of being in a round's lot
 * @param minNoisedSites  K_min: the fewest sites whose shares are in any released sum
 */
public record DpFedSgd(double clipNorm, double noiseMultiplier, double samplingRate, int minNoisedSites) {

    /** The grid's precision when σ = 0: any σ of order 1 gives the same resolution, 2^−15·C. */
    private static final double GRID_SIGMA_WITHOUT_NOISE = 1.0;

    public DpFedSgd {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("DP-FedSGD clip norm C must be finite and > 0, got " + clipNorm
                    + "; a per-bag gradient norm a run without DP prints is a good start");
        }
        if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("DP-FedSGD noise multiplier σ must be finite and ≥ 0, got "
                    + noiseMultiplier);
        }
        if (!(samplingRate > 0 && samplingRate <= 1)) {
            throw new IllegalArgumentException("DP-FedSGD sampling rate q must be in (0, 1], got " + samplingRate
                    + "; the expected lot is q × the federation's training bags");
        }
        if (minNoisedSites < 1) {
            throw new IllegalArgumentException("DP-FedSGD needs at least one noised site per released sum "
                    + "(K_min ≥ 1), got " + minNoisedSites);
        }
    }

    /** The integer grid every site of the federation sums on: the same for all, so their sums add up. */
    public GradientGrid grid(long dim) {
        double gridSigma = noiseMultiplier > 0 ? noiseMultiplier : GRID_SIGMA_WITHOUT_NOISE;
        return GradientGrid.of(new DpSgd(clipNorm, gridSigma, samplingRate), dim);
    }

    /** One site's noise variance in grid units², ⌈⌈σ²·B⌉ / K_min⌉; 0 when σ = 0. */
    public BigInteger shareVariance(GradientGrid grid) {
        if (noiseMultiplier == 0) {
            return BigInteger.ZERO;
        }
        BigInteger[] qr = grid.variance().divideAndRemainder(BigInteger.valueOf(minNoisedSites));
        return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    }

    /**
     * z′: the released sum of K_min shares is at least as private as the continuous Gaussian mechanism of
     * sensitivity 1 and noise multiplier z′ (KLS 2021, Proposition 14, with Δ = √B and s² the share variance):
     * 1/z′ = Δ/(√K_min·s) + √d·τ. z′ ≥ σ up to τ, which underflows to 0 at the grid's variances. 0 when σ = 0.
     */
    public double centralNoiseMultiplier(GradientGrid grid, long dim) {
        if (noiseMultiplier == 0) {
            return 0;
        }
        double s = Math.sqrt(shareVariance(grid).doubleValue());
        double delta = Math.sqrt((double) grid.boundSquared());
        return 1 / (delta / (Math.sqrt(minNoisedSites) * s)
                + Math.sqrt((double) dim) * DistributedDiscreteGaussian.tau(s, minNoisedSites));
    }

    /** The expected lot of a round, q × the bags of every site (the bag counts are sent in clear). */
    public double expectedLot(long totalBags) {
        if (totalBags < 1) {
            throw new IllegalArgumentException("the federation has no training bags (" + totalBags + ")");
        }
        return samplingRate * totalBags;
    }

    /**
     * The coordinator's step direction from the unmasked sum of every survivor's share (grid units): minus the
     * noised gradient sum times γ over the expected lot, i.e. a pseudo-delta for the server optimiser.
     */
    public float[] pseudoDelta(long[] unmaskedSum, GradientGrid grid, long totalBags) {
        double factor = -grid.unit() / expectedLot(totalBags);
        float[] out = new float[unmaskedSum.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (unmaskedSum[i] * factor);
        }
        return out;
    }
}
