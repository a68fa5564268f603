package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.util.HashMap;
import java.util.Map;

/**
 * Joins of a site that is joined already. The same declaration again (an agent restarted, a retried call) changes
 * nothing and writes nothing: every record of the signed round log stays there for good, so a site must not be
 * able to add one per call. A changed declaration (new data, an upgraded agent, a renewed certificate) is taken,
 * and recorded, once per round; a second change in the same round is refused until the next round opens. Event
 * thread only.
 */
final class Rejoins {

    /** The round in which each site last changed its declaration while joined. */
    private final Map<String, Integer> changedInRound = new HashMap<>();

    /**
     * @param joined what the site declared when it joined, or null when it is not joined
     * @return true when {@code join} repeats {@code joined}: the join is answered and nothing is recorded
     * @throws FederationException FAILED_PRECONDITION for a second changed declaration in round {@code round}
     */
    boolean unchanged(String siteId, SiteJoin join, SiteJoin joined, int round) {
        if (joined == null) {
            return false;
        }
        if (joined.sameDeclaration(join)) {
            return true;
        }
        Integer last = changedInRound.get(siteId);
        if (last != null && last == round) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "site '" + siteId + "' already changed "
                    + "what it declared at join in round " + round + "; a joined site may change its declaration "
                    + "once per round. Join again with the declaration it has, or after the next round opens");
        }
        changedInRound.put(siteId, round);
        return false;
    }
}
