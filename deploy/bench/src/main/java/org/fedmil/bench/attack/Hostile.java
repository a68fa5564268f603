package org.fedmil.bench.attack;

import java.util.Locale;

/**
 * What a hostile site of the attack benchmark does. It trains honestly on its own bags, as any site does, then
 * sends a forged delta and a forged claim instead.
 *
 * <ul>
 *   <li>{@code inflate}: declares its true bag count at join, claims 10¹² bags for a sign-flipped delta (−Δ), the
 *       attack that replaced the global model before uploads were bounded by the join's declaration;</li>
 *   <li>{@code declare_inflate}: declares 10⁹ bags at join already (the most a join admits; in its true class
 *       ratio), and claims 10¹² for −Δ, then its declaration: what only the share cap bounds;</li>
 *   <li>{@code declare_inflate_negatives}: the same, but declares 10⁹ negatives, which also skews the
 *       federation's label counts every train task carries (the class weights every site trains with);</li>
 *   <li>{@code sign_flip_x10}: −10·Δ with its true bag count;</li>
 *   <li>{@code scale_x100}: 100·Δ with its true bag count;</li>
 *   <li>{@code collude}: two hostile sites send the same −5·Δ (Δ of the first of them to train), each with its true
 *       bag count.</li>
 * </ul>
 *
 * <p>An attacker adapts to what it is refused: an inflated claim refused as above the declaration is sent again
 * with the declared count, and a delta refused as a norm outlier is sent again at half the scale, until admitted.
 */
enum Hostile {
    NONE(0, 1, false),
    INFLATE(1, -1, false),
    DECLARE_INFLATE(1, -1, true),
    DECLARE_INFLATE_NEGATIVES(1, -1, true),
    SIGN_FLIP_X10(1, -10, false),
    SCALE_X100(1, 100, false),
    COLLUDE(2, -5, false);

    /** The claim of an inflating attacker: 10¹² bags. */
    static final long INFLATED_BAGS = 1_000_000_000_000L;

    /**
     * What an inflating declaration says at join: the most a join admits (10⁹ bags per label), since a declaration
     * of {@link #INFLATED_BAGS} is refused there and would leave the federation waiting for the hostile site.
     */
    static final long DECLARED_BAGS = 1_000_000_000L;

    /** How many of the federation's sites attack. */
    final int sites;
    /** The factor the site's honest delta is multiplied by. */
    final double factor;
    /** The site declares {@link #INFLATED_BAGS} at join, not its true count. */
    final boolean declaresInflated;

    Hostile(int sites, double factor, boolean declaresInflated) {
        this.sites = sites;
        this.factor = factor;
        this.declaresInflated = declaresInflated;
    }

    /** Whether the upload claims {@link #INFLATED_BAGS} rather than the site's true training bags. */
    boolean claimsInflated() {
        return this == INFLATE || declaresInflated;
    }

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Hostile parse(String name) {
        for (Hostile h : values()) {
            if (h.configName().equals(name)) {
                return h;
            }
        }
        throw new IllegalArgumentException("attack '" + name + "': expected one of none, inflate, declare_inflate, declare_inflate_negatives, "
                + "sign_flip_x10, scale_x100, collude");
    }
}
