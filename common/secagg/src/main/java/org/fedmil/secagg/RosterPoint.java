package org.fedmil.secagg;

import java.util.SortedSet;

/**
 * A site's Shamir evaluation point in a round: its 1-based position in the key roster ordered by site name. Every
 * site splits its secrets with {@link Shamir#split} over the roster in that order, so share i (x = i) goes to the
 * i-th site; the site reads its own point, and the coordinator checks each unmasking share's point, by this one
 * rule.
 */
final class RosterPoint {

    private RosterPoint() {
    }

    /**
     * @param rosterSites the roster's site names, in site-name order
     * @throws SecAggException naming {@code site} when it is not in the roster
     */
    static int of(SortedSet<String> rosterSites, String site, int round) {
        if (!rosterSites.contains(site)) {
            throw new SecAggException(site + " is not in the key roster of round " + round, site);
        }
        return rosterSites.headSet(site).size() + 1;
    }
}
