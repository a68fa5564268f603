package org.fedmil.secagg;

/**
 * How many sites may collude with the coordinator before it can unmask one honest site's input, for n sites in
 * the key roster and Shamir threshold t (Bonawitz et al. 2017, §4 and Appendix; Bell et al. 2020, §3).
 *
 * <p>To strip both masks of an honest site u that sent its input, the coordinator needs t shares of u's self-mask
 * seed, which a site reveals only when told u survived, and t shares of u's masking key, which a site reveals only
 * when told u dropped. An honest site answers one unmask request, so it gives one kind or the other; u itself
 * gives only a seed share (it refuses a list naming it dropped); each of c colluding sites gives both. So the
 * coordinator succeeds iff the n − c honest sites can be split into two groups of at least t − c each:
 * 2(t − c) ≤ n − c, i.e. c ≥ 2t − n. Colluders also rebuild both secrets on their own once c ≥ t. Hence the
 * coordinator with c colluders cannot unmask anyone iff c ≤ min(t − 1, 2t − n − 1). A consistency round (sites
 * sign the survivor set they were told and each checks t signatures on its own before answering) does not change
 * the count, since the signers are the same sites; it makes a lie provable afterwards.
 */
public final class CollusionBound {

    private CollusionBound() {
    }

    /** The most colluding sites the coordinator can have without unmasking an honest site; −1 when even alone. */
    public static int toleratedColluders(int sites, int threshold) {
        return Math.max(-1, Math.min(threshold - 1, 2 * threshold - sites - 1));
    }

    /** The smallest threshold t ≥ {@code atLeast} with which n sites tolerate c colluders (may exceed n: impossible). */
    public static int thresholdFor(int sites, int colluders, int atLeast) {
        return Math.max(atLeast, Math.max(colluders + 1, (sites + colluders + 2) / 2));
    }
}
