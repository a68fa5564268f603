package org.fedmil.secagg;

import java.util.Objects;

/**
 * What every participant of one secure-aggregation round agrees on before it starts: the federation and round (bound
 * into every derived key, so nothing from one round is valid in another), the Shamir threshold t, the number of
 * sites invited, the vector length, and the fixed-point encoding.
 *
 * <p>Encoding. Values live in the ring Z_2^64 (Java {@code long}, wrap-around arithmetic), so masks cancel exactly.
 * A site with n_k bags uploads round(n_k · clamp(x, ±B) · 2^f) per coordinate, plus masks. The unmasked sum of K
 * sites is at most K · n_max · B · 2^f + K/2 in magnitude; {@link #choose} picks the largest f with
 * K · n_max · B · 2^f ≤ 2^62, so the sum stays below 2^63 and is read back as a signed long without overflow
 * (the proof is in docs/secure-aggregation.md). The rounding error of the weighted mean is at most
 * K · 2^−(f+1) / Σ n_k ≤ 2^−(f+1) per coordinate ({@link #meanErrorBound}).
 *
 * @param federationId    the federation, bound into every key derivation
 * @param round           the round, bound into every key derivation
 * @param invitedSites    K: the most sites that can contribute to this round's sum
 * @param threshold       t: the fewest survivors that can finish the round; also the shares needed to rebuild a secret
 * @param length          how many coordinates a delta has
 * @param maxBags         n_max: the most bags any one site may weigh its delta by
 * @param coordinateBound B: every coordinate is clamped to [−B, B] before encoding
 * @param fractionalBits  f: values are scaled by 2^f
 * @param graphDegree     k: each site masks with and shares its secrets among only k neighbours of a public random
 *                        k-regular graph (SecAgg+, {@link CommunicationGraph}), t then being the threshold within each
 *                        neighbourhood; 0 for the complete graph (full SecAgg: every site with every other)
 */
public record SecAggParameters(String federationId, int round, int invitedSites, int threshold, int length,
                               long maxBags, double coordinateBound, int fractionalBits, int graphDegree) {

    /** Full SecAgg: the complete graph. */
    public SecAggParameters(String federationId, int round, int invitedSites, int threshold, int length,
                            long maxBags, double coordinateBound, int fractionalBits) {
        this(federationId, round, invitedSites, threshold, length, maxBags, coordinateBound, fractionalBits, 0);
    }

    /** Fewer fractional bits than this would make the mean coarser than 2^−17 per coordinate: refused. */
    public static final int MIN_FRACTIONAL_BITS = 16;
    /** More bits buy nothing: a float32 delta times a bag count below 2^29 is exact in a double's 53 bits. */
    public static final int MAX_FRACTIONAL_BITS = 52;
    /** n_k · x must be exact in a double: x has a 24-bit significand, so n_k stays below 2^29. */
    public static final long MAX_BAGS_LIMIT = 1L << 29;

    public SecAggParameters {
        Objects.requireNonNull(federationId, "federationId");
        if (invitedSites < 1) {
            throw new IllegalArgumentException("secure aggregation needs at least one site, got " + invitedSites);
        }
        if (threshold < 1 || threshold > invitedSites) {
            throw new IllegalArgumentException("threshold t=" + threshold + " must be in 1.." + invitedSites
                    + " (the sites invited to round " + round + ")");
        }
        if (length < 0) {
            throw new IllegalArgumentException("negative vector length " + length);
        }
        if (maxBags < 1 || maxBags >= MAX_BAGS_LIMIT) {
            throw new IllegalArgumentException("max bags per site " + maxBags + " must be in 1.." + (MAX_BAGS_LIMIT - 1));
        }
        if (!(coordinateBound > 0) || !Double.isFinite(coordinateBound)) {
            throw new IllegalArgumentException("coordinate bound " + coordinateBound + " must be a positive number");
        }
        if (fractionalBits < MIN_FRACTIONAL_BITS || fractionalBits > MAX_FRACTIONAL_BITS) {
            throw new IllegalArgumentException("fractional bits " + fractionalBits + " must be in "
                    + MIN_FRACTIONAL_BITS + ".." + MAX_FRACTIONAL_BITS);
        }
        if (!fitsWithoutOverflow(invitedSites, maxBags, coordinateBound, fractionalBits)) {
            throw new IllegalArgumentException("K·n_max·B·2^f = " + invitedSites + "·" + maxBags + "·"
                    + coordinateBound + "·2^" + fractionalBits + " exceeds 2^62: the sum could overflow 64 bits");
        }
        if (graphDegree != 0 && (graphDegree < 2 || graphDegree % 2 != 0)) {
            throw new IllegalArgumentException("communication graph degree k=" + graphDegree + " must be 0 (complete "
                    + "graph) or an even number of at least 2 (each site has k/2 neighbours on either side of a ring)");
        }
        if (graphDegree != 0 && threshold > graphDegree + 1) {
            throw new IllegalArgumentException("threshold t=" + threshold + " exceeds the " + (graphDegree + 1)
                    + " sites of a neighbourhood of degree k=" + graphDegree + ": no secret could be rebuilt");
        }
    }

    /** These parameters with SecAgg+'s sparse graph of degree k (0: the complete graph). */
    public SecAggParameters withGraphDegree(int k) {
        return new SecAggParameters(federationId, round, invitedSites, threshold, length, maxBags, coordinateBound,
                fractionalBits, k);
    }

    /**
     * The parameters with the finest fixed point that cannot overflow for K sites of at most n_max bags whose
     * coordinates are clamped to ±B.
     *
     * @throws SecAggException when even {@link #MIN_FRACTIONAL_BITS} bits could overflow, saying which bound to lower
     */
    public static SecAggParameters choose(String federationId, int round, int invitedSites, int threshold, int length,
                                          long maxBags, double coordinateBound) {
        int f = MAX_FRACTIONAL_BITS;
        while (f >= MIN_FRACTIONAL_BITS && !fitsWithoutOverflow(invitedSites, maxBags, coordinateBound, f)) {
            f--;
        }
        if (f < MIN_FRACTIONAL_BITS) {
            throw new SecAggException("secure aggregation cannot encode round " + round + " of " + federationId
                    + " in 64 bits: K=" + invitedSites + " sites × n_max=" + maxBags + " bags × coordinate bound B="
                    + coordinateBound + " leaves fewer than " + MIN_FRACTIONAL_BITS + " fractional bits; lower the "
                    + "clip norm, or split sites with that many bags");
        }
        return new SecAggParameters(federationId, round, invitedSites, threshold, length, maxBags, coordinateBound, f);
    }

    /**
     * As {@link #choose}, for a round whose sites add distributed discrete Gaussian noise to deltas clipped to L2
     * norm C: f is also kept so low that one site's sensitivity n_max · C · 2^f stays at or below
     * 2^{@value #MAX_NOISE_SENSITIVITY_BITS}, so that every site's noise (standard deviation z·Δ/√t) stays within
     * the exact sampler's range for z up to 16 and the noise of every site fits the ring beside the sum. B must be
     * at least C·(1 + 10z) for that headroom: the caller passes it.
     *
     * @throws SecAggException when fewer than {@link #MIN_FRACTIONAL_BITS} bits remain, saying which bound to lower
     */
    public static SecAggParameters chooseForDistributedNoise(String federationId, int round, int invitedSites,
                                                             int threshold, int length, long maxBags,
                                                             double coordinateBound, double clipNorm) {
        SecAggParameters p = choose(federationId, round, invitedSites, threshold, length, maxBags, coordinateBound);
        int f = p.fractionalBits();
        while (f >= MIN_FRACTIONAL_BITS && Math.scalb(Math.nextUp((double) maxBags * clipNorm), f)
                > 0x1p45) {
            f--;
        }
        if (f < MIN_FRACTIONAL_BITS) {
            throw new SecAggException("distributed DP noise cannot be encoded for round " + round + " of "
                    + federationId + ": n_max=" + maxBags + " bags × clip norm C=" + clipNorm + " leaves fewer than "
                    + MIN_FRACTIONAL_BITS + " fractional bits below 2^" + MAX_NOISE_SENSITIVITY_BITS + "; lower the "
                    + "clip norm, or split sites with that many bags");
        }
        return new SecAggParameters(federationId, round, invitedSites, threshold, length, maxBags, coordinateBound, f);
    }

    /** One site's sensitivity in ring units is kept at or below 2^this under distributed DP noise. */
    public static final int MAX_NOISE_SENSITIVITY_BITS = 45;

    /** K · n_max · B · 2^f ≤ 2^62, computed so that double rounding can only make it stricter. */
    static boolean fitsWithoutOverflow(int sites, long maxBags, double bound, int fractionalBits) {
        double product = Math.nextUp(Math.nextUp((double) sites * (double) maxBags) * bound);
        return Math.scalb(product, fractionalBits) <= 0x1p62;
    }

    /** Largest error of the decoded weighted mean per coordinate, against exact arithmetic on the clamped deltas. */
    public double meanErrorBound() {
        return Math.scalb(1.0, -(fractionalBits + 1));
    }

    /**
     * Integer units per unit of delta at the heaviest weight, n_max · 2^f: the scale at which one site's L2 norm
     * bound becomes its sensitivity in the ring (distributed DP noise is calibrated to it).
     */
    public double integerScale() {
        return Math.scalb((double) maxBags, fractionalBits);
    }

    /** The bytes that bind a derived key to this federation, round and purpose. */
    byte[] binding(String purpose) {
        return ("fedmil/secagg/v1/" + purpose + "|" + federationId + "|" + round)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
