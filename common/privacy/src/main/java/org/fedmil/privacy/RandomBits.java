package org.fedmil.privacy;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Random;

/**
 * Uniform integers from a {@link Random} (in production a {@link java.security.SecureRandom}), drawn from bytes read
 * in blocks: one engine call per block instead of one per number, because a DRBG's per-call locking dominates when
 * millions of coordinates are noised. Every method is exact: no floating point touches the randomness, so no
 * rounding bias or gap in the support can depend on the data (Mironov 2012).
 */
final class RandomBits {

    private static final int BLOCK_BYTES = 1 << 13;

    private final Random random;
    private final byte[] block = new byte[BLOCK_BYTES];
    private int position = BLOCK_BYTES;
    private long bitBuffer;
    private int bitsLeft;

    RandomBits(Random random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /** 64 uniform bits. */
    long nextLong() {
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

    boolean nextBit() {
        if (bitsLeft == 0) {
            bitBuffer = nextLong();
            bitsLeft = 64;
        }
        bitsLeft--;
        return ((bitBuffer >>> bitsLeft) & 1) == 1;
    }

    /** Uniform in [0, bound), by rejection (no modulo bias). */
    long below(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = bound - 1;
        if ((bound & m) == 0) {
            return nextLong() & m;
        }
        long u = nextLong() >>> 1;
        long r = u % bound;
        while (u - r + m < 0) { // u fell in the incomplete last block of [0, 2^63)
            u = nextLong() >>> 1;
            r = u % bound;
        }
        return r;
    }

    /** Uniform in [0, bound), by rejection over bound's bit length. */
    BigInteger below(BigInteger bound) {
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
