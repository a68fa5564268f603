package org.fedmil.secagg;

import java.util.List;

/**
 * Step 1: what a site sends after seeing the key roster: one {@link EncryptedShare} per roster site (itself
 * included), and a SHA-256 commitment to its self-mask seed so that a seed rebuilt from bad shares is caught.
 */
public record ShareBundle(String site, byte[] selfMaskCommitment, List<EncryptedShare> shares) {
    public ShareBundle {
        selfMaskCommitment = selfMaskCommitment.clone();
        shares = List.copyOf(shares);
    }

    @Override
    public byte[] selfMaskCommitment() {
        return selfMaskCommitment.clone();
    }
}
