package org.fedmil.mil.train;

import java.util.Objects;
import java.util.Random;

/**
 * Standard normals by the Box–Muller transform from uniform doubles of 53 random bits each, read from the source
 * in blocks: {@code SecureRandom.nextGaussian} makes two synchronised engine calls per normal, too slow for a noise
 * draw per weight per step. Floating-point, so Mironov's (2012) attack on the low bits applies; a discrete sampler
 * can replace this class behind {@link GradientNoise}.
 */
final class BoxMullerNoise implements GradientNoise {

    private static final int BLOCK_BYTES = 1 << 16;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private final Random random;
    private final byte[] block = new byte[BLOCK_BYTES];
    private int position = BLOCK_BYTES;
    private double spare;
    private boolean hasSpare;

    BoxMullerNoise(Random random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public void addGaussian(float[] values, double std) {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("noise standard deviation must be finite and ≥ 0, got " + std);
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (values[i] + std * nextNormal());
        }
    }

    @Override
    public boolean sampled(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate must be in [0, 1], got " + q);
        }
        return nextBits53() * TWO_POW_MINUS_53 < q;
    }

    double nextNormal() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u1 = (nextBits53() + 1) * TWO_POW_MINUS_53; // (0, 1]: the log stays finite
        double u2 = nextBits53() * TWO_POW_MINUS_53;
        double r = Math.sqrt(-2 * Math.log(u1));
        double theta = 2 * Math.PI * u2;
        spare = r * Math.sin(theta);
        hasSpare = true;
        return r * Math.cos(theta);
    }

    private long nextBits53() {
        if (position + 8 > block.length) {
            random.nextBytes(block);
            position = 0;
        }
        long bits = 0;
        for (int k = 0; k < 8; k++) {
            bits = (bits << 8) | (block[position++] & 0xFFL);
        }
        return bits >>> 11;
    }
}
