package org.fedmil.mil.train;

/**
 * DP-SGD (Abadi et al. 2016) with a bag as the unit of privacy: every step Poisson-samples each bag with
 * probability q, clips each sampled bag's gradient (all parameters together) to L2 norm C, sums the clipped
 * gradients, adds N(0, (σC)²) to every coordinate, and divides by the expected lot size q·n before the optimiser
 * step (as Opacus does, so that the noise, not the sampled lot's size, is what an observer sees). One local epoch is
 * round(1/q) steps. Each step is one sampled Gaussian mechanism of noise multiplier σ at rate q for the RDP
 * accountant, whatever the optimiser does with the noised gradient afterwards (post-processing).
 *
 * @param clipNorm        C, the most one bag can move the gradient sum (L2 over all parameters)
 * @param noiseMultiplier σ: the noise standard deviation over C
 * @param samplingRate    q in (0, 1]: each bag's chance of being in a step's lot
 */
public record DpSgd(double clipNorm, double noiseMultiplier, double samplingRate) {

    public DpSgd {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("DP-SGD clip norm C must be finite and > 0, got " + clipNorm
                    + "; a per-bag gradient norm a run without DP prints is a good start");
        }
        if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("DP-SGD noise multiplier σ must be finite and > 0, got "
                    + noiseMultiplier + "; σ = 0 gives no privacy (ε = ∞): train without DP-SGD instead");
        }
        if (!(samplingRate > 0 && samplingRate <= 1)) {
            throw new IllegalArgumentException("DP-SGD sampling rate q must be in (0, 1], got " + samplingRate
                    + "; it is the expected lot size over the site's training bags, e.g. 0.1");
        }
    }

    /** Steps in one local epoch: round(1/q), at least 1. */
    public int stepsPerEpoch() {
        return Math.max(1, (int) Math.round(1 / samplingRate));
    }

    /** Steps of {@code epochs} local epochs: each one a sampled-Gaussian release for the accountant. */
    public int steps(int epochs) {
        return epochs * stepsPerEpoch();
    }

    /** The standard deviation of the noise added to the clipped sum, σ·C. */
    public double noiseStandardDeviation() {
        return noiseMultiplier * clipNorm;
    }
}
