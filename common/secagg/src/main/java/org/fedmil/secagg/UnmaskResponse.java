package org.fedmil.secagg;

import java.util.Map;

/**
 * Step 3, a surviving site's answer: its shares of the survivors' self-mask seeds and of the dropped sites'
 * masking private keys, keyed by the site the secret belongs to.
 */
public record UnmaskResponse(String site, Map<String, Shamir.Share> selfMaskShares,
                             Map<String, Shamir.Share> maskingKeyShares) {
    public UnmaskResponse {
        selfMaskShares = Map.copyOf(selfMaskShares);
        maskingKeyShares = Map.copyOf(maskingKeyShares);
    }
}
