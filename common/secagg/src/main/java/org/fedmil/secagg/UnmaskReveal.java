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
}
