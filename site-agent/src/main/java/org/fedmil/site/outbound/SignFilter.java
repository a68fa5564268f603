package org.fedmil.site.outbound;

import java.security.PrivateKey;
import org.fedmil.site.task.Membership;

/**
 * Signs the update statement of what is about to be sent (federation and site as the last Join answered, round,
 * base model, hash and size of the bytes, privacy applied) with the key of the site's TLS certificate. The
 * coordinator checks it before accepting the update and keeps it in its round log.
 */
public final class SignFilter implements OutboundFilter {

    private final PrivateKey key;
    private final Membership membership;

    public SignFilter(PrivateKey key, Membership membership) {
        this.key = key;
        this.membership = membership;
    }

    @Override
    public Outbound apply(Outbound update) {
        if (!membership.hasJoined()) {
            throw new IllegalStateException("join before uploading: the update statement names the federation");
        }
        return update.signed(UpdateHeaders.signature(update.header(), key, membership.federationId(),
                membership.siteId()));
    }
}
