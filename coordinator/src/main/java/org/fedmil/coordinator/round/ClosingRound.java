package org.fedmil.coordinator.round;

import java.util.List;
import java.util.Map;

/**
 * What the event thread hands the closing thread when a round's updates are in: everything the close needs, so that
 * the closing thread never reads the round state (which the next round may already be changing).
 *
 * @param startNanos        when the round opened ({@link System#nanoTime()})
 * @param from              the global model the round started from
 * @param secure            the round's secure aggregation, or null for a round aggregated in the clear
 * @param sites             the sites whose updates were folded in, sorted
 * @param sitesBagsPerLabel those sites' bags per label as they joined
 * @param validation        the sites' validation of {@code from}, carried in this round's uploads; null if none
 * @param inNanos           when the close was handed over: the round's last update in (or its deadline)
 * @param dpRound           a DP-FedSGD round's audit record (recorded once its sum is released), or null
 */
record ClosingRound(int round, long startNanos, GlobalModel from, SecureRound secure, RoundAggregation aggregation,
                    List<String> sites, Map<String, Map<Integer, Long>> sitesBagsPerLabel, long bags, double loss,
                    FederatedValidation validation, long inNanos, DpFedSgdRound.Audit dpRound) {

    ClosingRound {
        sites = List.copyOf(sites);
        sitesBagsPerLabel = java.util.Collections.unmodifiableMap(sitesBagsPerLabel); // kept in site order
    }
}
