package org.fedmil.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Shamir t-of-n secret sharing over the prime field of the Mersenne prime 2^521 − 1, large enough to share a
 * 32-byte seed or X25519 private key as one field element.
 */
public final class Shamir {

    /** 2^521 − 1. */
    public static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);
    /** A field element as fixed-width big-endian bytes. */
    public static final int ELEMENT_BYTES = 66;

    /** The value y = P(x) of the sharing polynomial at a site's point x ≥ 1. */
    public record Share(int x, BigInteger y) {
        public Share {
            if (x < 1) {
                throw new IllegalArgumentException("share points start at 1, got " + x);
            }
            if (y.signum() < 0 || y.compareTo(PRIME) >= 0) {
                throw new IllegalArgumentException("share value is not a field element");
            }
        }
    }

    private Shamir() {
    }

    /** Shares of secret at the points 1..n, any t of which rebuild it and t − 1 of which say nothing about it. */
    public static List<Share> split(byte[] secret, int n, int t, SecureRandom random) {
        int[] points = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = i + 1;
        }
        return splitAt(secret, points, t, random);
    }

    /**
     * Shares of secret at the given distinct points ≥ 1 (a site's neighbours' roster points, under SecAgg+), any t of
     * which rebuild it and t − 1 of which say nothing about it.
     */
    public static List<Share> splitAt(byte[] secret, int[] points, int t, SecureRandom random) {
        int n = points.length;
        if (t < 1 || t > n) {
            throw new IllegalArgumentException("threshold " + t + " must be in 1.." + n);
        }
        if (secret.length >= ELEMENT_BYTES - 1) {
            throw new IllegalArgumentException("secret of " + secret.length + " bytes does not fit the field");
        }
        BigInteger[] coefficients = new BigInteger[t];
        coefficients[0] = new BigInteger(1, secret);
        for (int i = 1; i < t; i++) {
            coefficients[i] = randomElement(random);
        }
        List<Share> shares = new ArrayList<>(n);
        for (int x : points) {
            BigInteger bx = BigInteger.valueOf(x);
            BigInteger y = BigInteger.ZERO;
            for (int i = t - 1; i >= 0; i--) {
                y = y.multiply(bx).add(coefficients[i]).mod(PRIME);
            }
            shares.add(new Share(x, y));
        }
        return shares;
    }

    /** The polynomial through the given shares, evaluated at x (x = 0 gives the secret). */
    public static BigInteger interpolate(List<Share> shares, int x) {
        int[] points = new int[shares.size()];
        for (int i = 0; i < points.length; i++) {
            points[i] = shares.get(i).x();
        }
        return interpolate(shares, lagrange(points, x));
    }

    /**
     * The Lagrange weights λ_i = Π_{j≠i} (x − x_j) / (x_i − x_j) that evaluate the polynomial through shares at the
     * given points at x. They depend on the points only, so a caller rebuilding many secrets from the same helpers
     * computes them once (one modular inverse per point, instead of one per point and secret).
     */
    public static BigInteger[] lagrange(int[] points, int x) {
        Set<Integer> seen = new HashSet<>();
        for (int p : points) {
            if (!seen.add(p)) {
                throw new IllegalArgumentException("two shares at point " + p);
            }
        }
        BigInteger bx = BigInteger.valueOf(x);
        BigInteger[] weights = new BigInteger[points.length];
        for (int i = 0; i < points.length; i++) {
            BigInteger num = BigInteger.ONE;
            BigInteger den = BigInteger.ONE;
            BigInteger xi = BigInteger.valueOf(points[i]);
            for (int j = 0; j < points.length; j++) {
                if (j != i) {
                    BigInteger xj = BigInteger.valueOf(points[j]);
                    num = num.multiply(bx.subtract(xj)).mod(PRIME);
                    den = den.multiply(xi.subtract(xj)).mod(PRIME);
                }
            }
            weights[i] = num.multiply(den.modInverse(PRIME)).mod(PRIME);
        }
        return weights;
    }

    /** Σ λ_i · y_i: the polynomial through the shares, at the point the weights were made for. */
    public static BigInteger interpolate(List<Share> shares, BigInteger[] weights) {
        if (weights.length != shares.size()) {
            throw new IllegalArgumentException(weights.length + " weights for " + shares.size() + " shares");
        }
        BigInteger result = BigInteger.ZERO;
        for (int i = 0; i < weights.length; i++) {
            result = result.add(shares.get(i).y().multiply(weights[i]));
        }
        return result.mod(PRIME);
    }

    /** The secret as exactly {@code bytes} bytes; empty when the shares do not rebuild a value that short. */
    public static java.util.Optional<byte[]> combine(List<Share> shares, int bytes) {
        return secretOf(interpolate(shares, 0), bytes);
    }

    /** As {@link #combine(List, int)}, with the weights for x = 0 of these shares' points precomputed. */
    public static java.util.Optional<byte[]> combine(List<Share> shares, BigInteger[] weightsAtZero, int bytes) {
        return secretOf(interpolate(shares, weightsAtZero), bytes);
    }

    private static java.util.Optional<byte[]> secretOf(BigInteger secret, int bytes) {
        if (secret.bitLength() > 8 * bytes) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(toBytes(secret, bytes));
    }

    static byte[] toBytes(BigInteger value, int bytes) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[bytes];
        int copy = Math.min(raw.length, bytes);
        System.arraycopy(raw, raw.length - copy, out, bytes - copy, copy);
        return out;
    }

    private static BigInteger randomElement(SecureRandom random) {
        BigInteger r;
        do {
            r = new BigInteger(521, random);
        } while (r.compareTo(PRIME) >= 0);
        return r;
    }
}
