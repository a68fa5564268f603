package org.fedmil.mil.train;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Random;
import java.util.SplittableRandom;
import org.fedmil.privacy.DiscreteGaussian;
import org.fedmil.privacy.RandomBits;

/**
 * DP-SGD's randomness from one source: Poisson lots and exact discrete Gaussian noise ({@link DiscreteGaussian},
 * Canonne, Kamath &amp; Steinke 2020) in integer arithmetic, so Mironov's (2012) attack on the low bits of
 * floating-point noise has nothing to read. The randomised rounding draws from a fast generator seeded once from
 * the source: its secrecy is not needed for privacy, its speed is (a draw per weight per bag).
 */
final class DiscreteGaussianNoise implements GradientNoise {

    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private final RandomBits bits;
    private final SplittableRandom rounding;
    private BigInteger variance;
    private DiscreteGaussian sampler;

    DiscreteGaussianNoise(Random random) {
        this.bits = new RandomBits(Objects.requireNonNull(random, "random"));
        this.rounding = new SplittableRandom(bits.nextLong());
    }

    @Override
    public void addDiscreteGaussian(long[] values, BigInteger variance) {
        if (variance.signum() <= 0) {
            throw new IllegalArgumentException("noise variance must be > 0 grid units², got " + variance);
        }
        if (!variance.equals(this.variance)) {
            this.sampler = new DiscreteGaussian(variance, BigInteger.ONE, bits);
            this.variance = variance;
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.addExact(values[i], sampler.sample());
        }
    }

    @Override
    public boolean sampled(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate must be in [0, 1], got " + q);
        }
        return bits.nextBits(53) * TWO_POW_MINUS_53 < q;
    }

    @Override
    public double roundingUniform() {
        return rounding.nextDouble();
    }
}
