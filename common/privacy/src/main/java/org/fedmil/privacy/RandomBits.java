package org.fedmil.privacy;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Random;

/**
 * Uniform integers from a {@link Random} (in production a {@link java.security.SecureRandom}, see
 * {@link StrongRandom}), drawn from bytes read in blocks: one engine call per block instead of one per number,
 * because a DRBG's per-call locking dominates when millions of coordinates are noised. Small bounds spend only the
 * bits they need (a coin costs one bit, not 64), because the DRBG's output rate bounds the samplers' speed. Every
 * method is exact: no floating point touches the randomness, so no rounding bias or gap in the support can depend
 * on the data (Mironov 2012). Not thread-safe.
 */
public final class RandomBits {

    private static final int BLOCK_BYTES = 1 << 13;

    private final Random random;
    private final byte[] block = new byte[BLOCK_BYTES];
    private int position = BLOCK_BYTES;
    private long bitBuffer;
    private int bitsLeft;

    public RandomBits(Random random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /** 64 uniform bits. */
    public long nextLong() {
        if (position + 8 > block.length) {
            random.nextBytes(block);
            position = 0;
        }
        long bits = 0;
        for (int k = 0; k < 8; k++) {
            bits = (bits << 8) | (block[position++] & 0xFFL);
        }
        return bits;
    }

    public boolean nextBit() {
        return nextBits(1) == 1;
    }

    /** {@code n} uniform bits (1 ≤ n ≤ 63) as a non-negative long, taken from a 64-bit buffer. */
    public long nextBits(int n) {
        if (n < 1 || n > 63) {
            throw new IllegalArgumentException("between 1 and 63 bits at a time, got " + n);
        }
        if (n <= bitsLeft) {
            bitsLeft -= n;
            return (bitBuffer >>> bitsLeft) & ((1L << n) - 1);
        }
        int old = bitsLeft;
        long high = old == 0 ? 0 : bitBuffer & ((1L << old) - 1);
        int need = n - old;
        bitBuffer = nextLong();
        bitsLeft = 64 - need;
        return (high << need) | ((bitBuffer >>> bitsLeft) & ((1L << need) - 1));
    }

    /** Uniform in [0, bound): bound's bit length of bits, again while the draw is ≥ bound (no modulo bias). */
    public long below(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        if (bound == 1) {
            return 0;
        }
        int n = 64 - Long.numberOfLeadingZeros(bound - 1);
        while (true) {
            long x = nextBits(n);
            if (x < bound) {
                return x;
            }
        }
    }

    /** Uniform in [0, bound), by rejection over bound's bit length. */
    public BigInteger below(BigInteger bound) {
        if (bound.signum() <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        if (bound.bitLength() < 63) {
            return BigInteger.valueOf(below(bound.longValueExact()));
        }
        int bits = bound.bitLength();
        int bytes = (bits + 7) / 8;
        int excess = 8 * bytes - bits;
        byte[] buffer = new byte[bytes];
        while (true) {
            for (int i = 0; i < bytes; i += 8) {
                long word = nextLong();
                for (int k = 0; k < 8 && i + k < bytes; k++) {
                    buffer[i + k] = (byte) (word >>> (8 * k));
                }
            }
            buffer[0] &= (byte) (0xFF >>> excess);
            BigInteger candidate = new BigInteger(1, buffer);
            if (candidate.compareTo(bound) < 0) {
                return candidate;
            }
        }
    }
}
