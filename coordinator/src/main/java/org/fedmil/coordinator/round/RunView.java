package org.fedmil.coordinator.round;

import java.util.List;

/**
 * The federation at one moment, as every reader sees it: the operator's status, the dashboard, the metrics, the
 * service's checks and the tests. Made on the event thread after every change and published whole, so a reader
 * gets one consistent moment without taking any lock.
 *
 * @param seq            grows with every published view
 * @param history        completed rounds (round 0 is the initial model), in order
 * @param skipped        rounds skipped for want of min_updates at their deadline
 * @param joinedSites    site ids joined now, in joining order
 * @param submittedSites sites whose update the open round has accepted
 * @param sites          every site joined now or departed, as the operator sees it
 * @param sitesStopped   the federation finished and every joined site was told to stop
 */
public record RunView(long seq, String federationId, FederationRun.Phase phase, boolean paused, int round,
                      int attempt, GlobalModel model, List<RoundResult> history, List<Integer> skipped,
                      List<String> joinedSites, List<String> participants, List<String> submittedSites,
                      List<FederationRun.SiteView> sites, boolean sitesStopped, String finishReason) {

    public RunView {
        history = List.copyOf(history);
        skipped = List.copyOf(skipped);
        joinedSites = List.copyOf(joinedSites);
        participants = List.copyOf(participants);
        submittedSites = List.copyOf(submittedSites);
        sites = List.copyOf(sites);
    }

    /** Updates accepted in the open round so far. */
    public int updatesReceived() {
        return submittedSites.size();
    }

    public boolean isJoined(String siteId) {
        return joinedSites.contains(siteId);
    }
}
