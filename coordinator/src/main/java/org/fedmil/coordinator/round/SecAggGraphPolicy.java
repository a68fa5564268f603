package org.fedmil.coordinator.round;

import org.fedmil.secagg.GraphDegreeRule;
import org.fedmil.secagg.SecAggParameters;

/**
 * When a securely aggregated round uses SecAgg+'s sparse communication graph instead of full SecAgg: from more than
 * {@code sparseAboveSites} participants on, with the degree and per-neighbourhood threshold {@code rule} gives for
 * the round's K (docs/privacy.md). Full SecAgg costs every site O(K) key agreements, shares and masks; SecAgg+
 * O(log K).
 *
 * @param sparseAboveSites full SecAgg up to this many participants, SecAgg+ above
 * @param rule             k and t for K participants, at the stated colluding fraction and dropout rate
 */
public record SecAggGraphPolicy(int sparseAboveSites, GraphDegreeRule rule) {

    /** SecAgg+ above 20 sites, with {@link GraphDegreeRule#DEFAULT}. */
    public static final SecAggGraphPolicy DEFAULT = new SecAggGraphPolicy(20, GraphDegreeRule.DEFAULT);

    /** Full SecAgg at every K. */
    public static final SecAggGraphPolicy FULL = new SecAggGraphPolicy(Integer.MAX_VALUE, GraphDegreeRule.DEFAULT);

    /**
     * {@code full}, or its SecAgg+ form when K is above the bound and the rule finds a graph sparser than complete:
     * the degree k, and t replaced by the rule's per-neighbourhood threshold (never below 2).
     */
    public SecAggParameters apply(SecAggParameters full) {
        int k = full.invitedSites();
        if (k <= sparseAboveSites) {
            return full;
        }
        GraphDegreeRule.Choice c = rule.choose(k);
        if (c.complete()) {
            return full;
        }
        return new SecAggParameters(full.federationId(), full.round(), k, Math.max(2, c.threshold()), full.length(),
                full.maxBags(), full.coordinateBound(), full.fractionalBits(), c.degree());
    }
}
