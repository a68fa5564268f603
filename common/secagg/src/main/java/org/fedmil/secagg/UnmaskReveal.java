package org.fedmil.secagg;

import java.util.List;

/**
 * What one site revealed in the unmask step: whose self-mask seed shares and whose masking-key shares. A site that
 * revealed both kinds for one owner helped unmask that owner's input; an auditor compares these lists with what the
 * site's own logs say it sent.
 */
public record UnmaskReveal(String site, List<String> selfMaskOwners, List<String> maskingKeyOwners) {

    public UnmaskReveal {
        selfMaskOwners = List.copyOf(new java.util.TreeSet<>(selfMaskOwners));
        maskingKeyOwners = List.copyOf(new java.util.TreeSet<>(maskingKeyOwners));
    }

    /**
     * The owners of whom some site revealed a self-mask seed share and some (other) site a masking-key share in the
     * same round: an honest coordinator sends every site the same survivor list, so a non-empty answer proves the
     * unmask requests differed, the step by which a lying coordinator gathers both secrets of one site.
     */
    public static java.util.SortedSet<String> bothSecretsRevealed(List<UnmaskReveal> reveals) {
        java.util.SortedSet<String> seeds = new java.util.TreeSet<>();
        java.util.SortedSet<String> keys = new java.util.TreeSet<>();
        for (UnmaskReveal r : reveals) {
            seeds.addAll(r.selfMaskOwners());
            keys.addAll(r.maskingKeyOwners());
        }
        seeds.retainAll(keys);
        return seeds;
    }
}
