package org.fedmil.secagg;

/**
 * Step 2: a site's upload, its bag-weighted fixed-point delta plus self mask plus pairwise masks, in Z_2^64.
 * The bag count travels in the clear (the coordinator divides the sum by the total).
 */
public record MaskedInput(String site, long bags, long[] masked) {
    public MaskedInput {
        masked = masked.clone();
    }

    @Override
    public long[] masked() {
        return masked.clone();
    }
}
