package org.fedmil.privacy;

import java.math.BigInteger;
import java.util.Random;

/**
 * Exact samples of the discrete Gaussian N_Z(0, σ²), P[X = x] ∝ exp(−x²/(2σ²)) on the integers, by the algorithm of
 * Canonne, Kamath &amp; Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020, Algorithms 1–3):
 * discrete Laplace proposals accepted with an exactly computed Bernoulli(exp(−γ)), with σ² a rational number and
 * every step in integer arithmetic. No floating point touches a sample, so the noise has no data-dependent gaps or
 * rounding bias of the kind Mironov (CCS 2012) used to break floating-point Laplace noise.
 *
 * <p>Its privacy is that of the continuous Gaussian: adding N_Z(0, σ²) to an integer-valued query of L2 sensitivity
 * Δ is (Δ²/(2σ²))-zCDP, so Rényi DP α·Δ²/(2σ²) at every order α (CKS 2020, Theorem 4), which is what
 * {@link RdpAccountant} charges for noise multiplier σ/Δ. The expected number of proposals per sample is below 2.
 *
 * <p>Speed: when σ² = num/den and the acceptance test's denominator 2·num·den·t² fit in 62 bits (σ below about
 * 2^15 with den = 1, as DP-SGD's grid arranges), every step runs in {@code long} arithmetic; larger σ (site-level
 * DP's 2^40 grid) fall back to {@link BigInteger} for the acceptance test only. Both paths compute the same exact
 * probabilities. Bernoulli(γ/k) inside the exp(−γ) loop is drawn as [uniform below k is 0] ∧ Bernoulli(γ), so no
 * product d·k has to fit anywhere.
 *
 * <p>Not thread-safe: one instance per thread. Production passes a {@link java.security.SecureRandom}.
 */
public final class DiscreteGaussian {

    /** σ is kept below 2^50 so that every proposal fits a {@code long} with room to spare. */
    static final double MAX_SIGMA = 0x1p50;
    /** The long path needs num, den·t and 2·num·den·t² below 2^62. */
    private static final int LONG_PATH_BITS = 62;
    /** |a| up to ⌊√(2^63 − 1)⌋ squares without overflow. */
    private static final long MAX_SQUARABLE = 3_037_000_499L;

    private final BigInteger varianceNumerator;
    private final BigInteger varianceDenominator;
    /** t = ⌊σ⌋ + 1, the discrete Laplace scale of the proposals. */
    private final long t;
    /** σ² / t = num / (den·t), and the acceptance exponent's denominator 2·num·den·t². */
    private final BigInteger tTimesDen;
    private final BigInteger acceptanceDenominator;
    private final RandomBits bits;
    /** The same numbers as longs when all fit (else {@code longPath} is false). */
    private final boolean longPath;
    private final long numLong;
    private final long tTimesDenLong;
    private final long acceptanceDenominatorLong;

    /**
     * N_Z(0, num/den).
     *
     * @throws IllegalArgumentException when σ² is not positive or σ ≥ 2^50
     */
    public DiscreteGaussian(BigInteger varianceNumerator, BigInteger varianceDenominator, Random random) {
        this(varianceNumerator, varianceDenominator, new RandomBits(random), true);
    }

    /** N_Z(0, num/den) from bits shared with other samplers of the same source. */
    public DiscreteGaussian(BigInteger varianceNumerator, BigInteger varianceDenominator, RandomBits bits) {
        this(varianceNumerator, varianceDenominator, bits, true);
    }

    /** {@code allowLongPath} false: big integers throughout, for tests that both paths draw the same law. */
    DiscreteGaussian(BigInteger varianceNumerator, BigInteger varianceDenominator, RandomBits bits,
                     boolean allowLongPath) {
        if (varianceNumerator.signum() <= 0 || varianceDenominator.signum() <= 0) {
            throw new IllegalArgumentException("σ² = " + varianceNumerator + "/" + varianceDenominator
                    + " must be a positive fraction");
        }
        BigInteger floorSigma = varianceNumerator.divide(varianceDenominator).sqrt(); // ⌊√⌊q⌋⌋ = ⌊√q⌋
        if (floorSigma.bitLength() > 50) {
            throw new IllegalArgumentException("σ = √(" + varianceNumerator + "/" + varianceDenominator
                    + ") is 2^50 or more; rescale the integer domain");
        }
        this.varianceNumerator = varianceNumerator;
        this.varianceDenominator = varianceDenominator;
        this.t = floorSigma.longValueExact() + 1;
        BigInteger tBig = BigInteger.valueOf(t);
        this.tTimesDen = tBig.multiply(varianceDenominator);
        this.acceptanceDenominator = BigInteger.TWO.multiply(varianceNumerator).multiply(varianceDenominator)
                .multiply(tBig).multiply(tBig);
        this.bits = java.util.Objects.requireNonNull(bits, "bits");
        this.longPath = allowLongPath && varianceNumerator.bitLength() <= LONG_PATH_BITS
                && tTimesDen.bitLength() <= LONG_PATH_BITS && acceptanceDenominator.bitLength() <= LONG_PATH_BITS;
        this.numLong = longPath ? varianceNumerator.longValueExact() : 0;
        this.tTimesDenLong = longPath ? tTimesDen.longValueExact() : 0;
        this.acceptanceDenominatorLong = longPath ? acceptanceDenominator.longValueExact() : 0;
    }

    /** Whether samples take the all-{@code long} path. */
    boolean usesLongArithmetic() {
        return longPath;
    }

    /**
     * N_Z(0, σ'²) with σ' ≥ σ the double σ itself, read exactly: a double is m·2^e, so σ² = m²·2^(2e) is an exact
     * fraction and the noise is never less than asked for.
     */
    public static DiscreteGaussian withSigma(double sigma, Random random) {
        if (!(sigma > 0) || !(sigma < MAX_SIGMA)) {
            throw new IllegalArgumentException("σ must be in (0, 2^50), got " + sigma);
        }
        int exponent = Math.getExponent(sigma) - 52;
        long mantissa = (long) Math.scalb(sigma, -exponent); // exact: σ = mantissa · 2^exponent
        BigInteger m2 = BigInteger.valueOf(mantissa).pow(2);
        return exponent >= 0
                ? new DiscreteGaussian(m2.shiftLeft(2 * exponent), BigInteger.ONE, random)
                : new DiscreteGaussian(m2, BigInteger.ONE.shiftLeft(-2 * exponent), random);
    }

    /** σ² as a double, for messages and accounting. */
    public double variance() {
        return new java.math.BigDecimal(varianceNumerator)
                .divide(new java.math.BigDecimal(varianceDenominator), java.math.MathContext.DECIMAL64).doubleValue();
    }

    /** One exact sample of N_Z(0, σ²) (CKS 2020, Algorithm 3). */
    public long sample() {
        while (true) {
            long y = discreteLaplace();
            if (accept(Math.abs(y))) {
                return y;
            }
        }
    }

    /** Bernoulli(exp(−(|y| − σ²/t)² / (2σ²))) = Bernoulli(exp(−(|y|·t·den − num)² / (2·num·den·t²))). */
    private boolean accept(long absY) {
        if (longPath && Math.multiplyHigh(absY, tTimesDenLong) == 0 && absY * tTimesDenLong >= 0) {
            long a = absY * tTimesDenLong - numLong; // both in [0, 2^63): no overflow
            if (Math.abs(a) <= MAX_SQUARABLE) {
                return bernoulliExp(a * a, acceptanceDenominatorLong);
            }
        }
        // far tails only (|y| several σ out, almost always rejected anyway): the same test in big integers
        BigInteger a = BigInteger.valueOf(absY).multiply(tTimesDen).subtract(varianceNumerator);
        return bernoulliExp(a.multiply(a), acceptanceDenominator);
    }

    /** Fills {@code out} with independent samples. */
    public void sample(long[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = sample();
        }
    }

    /** The discrete Laplace distribution, P[X = x] ∝ exp(−|x|/t) (CKS 2020, Algorithm 2 with s = 1). */
    long discreteLaplace() {
        while (true) {
            long u = bits.below(t);
            if (!bernoulliExpFraction(u, t)) {
                continue;
            }
            long v = 0;
            while (bernoulliExpFraction(1, 1)) {
                v++;
            }
            long x = u + t * v;
            boolean negative = bits.nextBit();
            if (negative && x == 0) {
                continue; // else 0 would be drawn twice as often as it should
            }
            return negative ? -x : x;
        }
    }

    /** Bernoulli(exp(−n/d)) for any n/d ≥ 0 (CKS 2020, Algorithm 1): exp(−1) once per whole unit, then the rest. */
    boolean bernoulliExp(BigInteger n, BigInteger d) {
        if (n.bitLength() < 64 && d.bitLength() < 64) {
            return bernoulliExp(n.longValueExact(), d.longValueExact());
        }
        BigInteger[] qr = n.divideAndRemainder(d);
        if (qr[0].bitLength() < 64) {
            if (!exponentialOnes(qr[0].longValueExact())) {
                return false;
            }
        } else {
            for (BigInteger k = BigInteger.ZERO; k.compareTo(qr[0]) < 0; k = k.add(BigInteger.ONE)) {
                if (!bernoulliExpFraction(1, 1)) {
                    return false;
                }
            }
        }
        if (qr[1].signum() == 0) {
            return true;
        }
        if (d.bitLength() < 64) {
            return bernoulliExpFraction(qr[1].longValueExact(), d.longValueExact());
        }
        return bernoulliExpFractionBig(qr[1], d);
    }

    /** As above with n ≥ 0, d &gt; 0 as longs. */
    boolean bernoulliExp(long n, long d) {
        return exponentialOnes(n / d) && (n % d == 0 || bernoulliExpFraction(n % d, d));
    }

    /** Bernoulli(exp(−whole)): {@code whole} independent Bernoulli(exp(−1)) that must all come up. */
    private boolean exponentialOnes(long whole) {
        for (long k = 0; k < whole; k++) {
            if (!bernoulliExpFraction(1, 1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Bernoulli(exp(−n/d)) for 0 ≤ n ≤ d: K ← 1; while Bernoulli(n/(d·K)): K ← K + 1; accept iff K is odd. The
     * Bernoulli(n/(d·K)) is a uniform below K being 0 and a uniform below d being below n: exact, and no d·K is
     * formed.
     */
    boolean bernoulliExpFraction(long n, long d) {
        long k = 1;
        while (bits.below(k) == 0 && bits.below(d) < n) {
            k++;
        }
        return (k & 1) == 1;
    }

    private boolean bernoulliExpFractionBig(BigInteger n, BigInteger d) {
        long k = 1;
        while (bits.below(k) == 0 && bernoulli(n, d)) {
            k++;
        }
        return (k & 1) == 1;
    }

    /**
     * Bernoulli(n/d) for 0 ≤ n ≤ d: a uniform U ∈ [0, 1) is compared with n/d one binary digit at a time, both
     * digits drawn only as needed (two on average), so a 200-bit fraction costs no 200-bit random number.
     */
    boolean bernoulli(BigInteger n, BigInteger d) {
        BigInteger r = n;
        while (r.signum() != 0) {
            r = r.shiftLeft(1);
            boolean pBit = r.compareTo(d) >= 0;
            if (pBit) {
                r = r.subtract(d);
            }
            boolean uBit = bits.nextBit();
            if (uBit != pBit) {
                return pBit; // the first digit where they differ decides U < n/d
            }
        }
        return false; // n/d's remaining digits are all 0, U's are not all 0 with probability 1: U ≥ n/d
    }
}
