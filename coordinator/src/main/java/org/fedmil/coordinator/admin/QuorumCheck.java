package org.fedmil.coordinator.admin;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Whether a federation waiting for sites can still reach {@code min_sites} after revocations. The coordinator knows
 * the sites that have joined the federation (kept in the state folder across restarts), not how many certificates
 * the consortium issued, so the rule is about those: when at least one of them is revoked and the others are fewer
 * than {@code min_sites}, the wait can only end if a site that never joined comes, which an operator should be told
 * of rather than find out after a day of "waiting for sites".
 */
public final class QuorumCheck {

    private QuorumCheck() {
    }

    /**
     * The warning, with the ways out, or empty when the quorum can still be reached from the known sites (or no
     * revocation is to blame).
     *
     * @param known   every site that has joined the federation, departed or not
     * @param joined  the sites joined now
     * @param revoked the revoked site names
     */
    public static Optional<String> warning(String federationId, int minSites, Collection<String> known,
                                           Collection<String> joined, Collection<String> revoked) {
        if (joined.size() >= minSites) {
            return Optional.empty();
        }
        List<String> knownRevoked = new ArrayList<>(known);
        knownRevoked.retainAll(revoked);
        List<String> left = new ArrayList<>(known);
        left.removeAll(revoked);
        if (knownRevoked.isEmpty() || left.size() >= minSites) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT, "federation '%s' cannot reach min_sites %d with the "
                        + "sites it has had: of the %d site%s that joined it, %d %s revoked (%s), so at most %d can "
                        + "join again. Ways out: lower min_sites in coordinator.yaml (or --min-sites %d) and restart the "
                        + "coordinator; issue a certificate for another site (fedmil pki issue site NAME) and let it "
                        + "join; or end the federation (fedmil admin abort --reason ...)",
                federationId, minSites, known.size(), known.size() == 1 ? "" : "s", knownRevoked.size(),
                knownRevoked.size() == 1 ? "is" : "are", String.join(", ", knownRevoked), left.size(),
                Math.max(1, left.size())));
    }
}
