package org.fedmil.privacy;

import java.util.Locale;

/**
 * The smallest noise multiplier σ at which {@code steps} sampled-Gaussian releases at rate q stay within a target
 * (ε, δ), by bisection on the accountant itself (ε falls as σ grows), as Opacus's get_noise_multiplier does. The
 * answer is the σ a DP-SGD configuration should use when it states a target ε rather than σ.
 */
public final class NoiseCalibration {

    private static final double SIGMA_MIN = 0.05;
    private static final double SIGMA_MAX = 1_000;
    /** Relative precision of σ: ε at the returned σ is within the target, and σ is at most this much too large. */
    private static final double PRECISION = 1e-4;

    private NoiseCalibration() {
    }

    /**
     * @return σ with ε(q, σ, steps, δ) ≤ {@code targetEpsilon}, within {@value #PRECISION} (relative) of the
     * smallest such σ
     */
    public static double noiseMultiplierFor(double targetEpsilon, double delta, double q, int steps) {
        if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) {
            throw new IllegalArgumentException("target ε must be finite and > 0, got " + targetEpsilon
                    + "; to train without differential privacy leave DP out of the configuration");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1, got " + steps);
        }
        if (epsilon(SIGMA_MAX, delta, q, steps) > targetEpsilon) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "no noise multiplier up to %s reaches "
                    + "ε = %s at δ = %s over %d steps at q = %s; lower the sampling rate or the number of steps, "
                    + "or accept a larger ε", SIGMA_MAX, targetEpsilon, delta, steps, q));
        }
        double lo = SIGMA_MIN;
        double hi = SIGMA_MAX;
        if (epsilon(lo, delta, q, steps) <= targetEpsilon) {
            return lo;
        }
        while (hi - lo > PRECISION * lo) {
            double mid = Math.sqrt(lo * hi);
            if (epsilon(mid, delta, q, steps) <= targetEpsilon) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi;
    }

    private static double epsilon(double sigma, double delta, double q, int steps) {
        return RdpAccountant.epsilonOfSampledGaussian(q, sigma, steps, delta).epsilon();
    }
}
