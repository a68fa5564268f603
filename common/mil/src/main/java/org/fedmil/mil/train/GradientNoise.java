package org.fedmil.mil.train;

import java.math.BigInteger;
import java.util.Random;
import org.fedmil.privacy.StrongRandom;

/**
 * The randomness of DP-SGD: which bags a step samples, the randomised rounding of clipped gradients to the integer
 * grid ({@link GradientGrid}) and the exact discrete Gaussian noise added to their sum. One small interface so that
 * tests can replace a part (e.g. lots that are always empty) without touching the training loop. Production draws
 * from a strong DRBG ({@link #secure()}): the privacy analysis assumes nobody can predict the sample or the noise.
 * The rounding needs no secrecy (the grid's norm check bounds a bag's contribution whatever the rounding drew).
 */
public interface GradientNoise {

    /** Adds independent exact draws of N_Z(0, variance) (integers, variance in grid units²) to every element. */
    void addDiscreteGaussian(long[] values, BigInteger variance);

    /** Poisson sampling: true with probability {@code q}, independently for every bag and step. */
    boolean sampled(double q);

    /** A uniform double in [0, 1) for randomised rounding. */
    double roundingUniform();

    /** From a DRBG {@link java.security.SecureRandom}, as a site agent must use. */
    static GradientNoise secure() {
        return new DiscreteGaussianNoise(StrongRandom.drbg("DP-SGD noise"));
    }

    /** Reproducible, for tests and benchmarks that measure utility only: an ordinary Random is predictable. */
    static GradientNoise seeded(long seed) {
        return new DiscreteGaussianNoise(new Random(seed));
    }
}
