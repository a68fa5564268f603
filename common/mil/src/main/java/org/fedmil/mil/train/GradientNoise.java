package org.fedmil.mil.train;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Random;

/**
 * The randomness of DP-SGD: which bags a step samples and the Gaussian noise added to the clipped gradient sum.
 * One small interface so that the floating-point sampler can be replaced (e.g. by a discrete Gaussian) without
 * touching the training loop. Production draws from a strong DRBG ({@link #secure()}): the privacy analysis assumes
 * nobody can predict either the sample or the noise.
 */
public interface GradientNoise {

    /** Adds independent N(0, std²) draws to every element of {@code values}. */
    void addGaussian(float[] values, double std);

    /** Poisson sampling: true with probability {@code q}, independently for every bag and step. */
    boolean sampled(double q);

    /** From a DRBG {@link SecureRandom}, as a site agent must use. */
    static GradientNoise secure() {
        try {
            return new BoxMullerNoise(SecureRandom.getInstance("DRBG"));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM offers no DRBG SecureRandom (Java 9+ should); DP-SGD noise "
                    + "needs a cryptographically strong source", e);
        }
    }

    /** Reproducible, for tests and benchmarks that measure utility only: an ordinary Random is predictable. */
    static GradientNoise seeded(long seed) {
        return new BoxMullerNoise(new Random(seed));
    }
}
