package org.fedmil.coordinator.round;

import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.mil.data.LabelCounts;

/** What a site is told to do next, decided from the round state on the event thread; changes nothing. */
final class NextTasks {

    private final RoundState state;
    private final SecureAggregationDriver secure;
    private final FederationPlan plan;

    NextTasks(RoundState state, SecureAggregationDriver secure, FederationPlan plan) {
        this.state = state;
        this.secure = secure;
        this.plan = plan;
    }

    Task taskFor(String siteId) {
        int round = state.round;
        boolean participant = state.participants.contains(siteId);
        if (state.paused && (state.phase == Phase.TRAINING || state.phase == Phase.WAITING_FOR_SITES)) {
            return new Task.Wait(FederationRun.RETRY_AFTER_MS, FederationRun.PAUSED_REASON);
        }
        return switch (state.phase) {
            case FINISHED -> new Task.Stop(state.finishReason);
            case WAITING_FOR_SITES -> new Task.Wait(FederationRun.RETRY_AFTER_MS, "waiting for sites to join: "
                    + state.sites.size() + " of " + plan.minSites() + " needed");
            case TRAINING -> {
                if (secure.active() && participant) {
                    yield secure.taskFor(siteId, new Task.Train(round, state.global, federationLabels()));
                }
                if (participant && !state.submitted.containsKey(siteId)) {
                    yield plan.isPretrainingRound(round) ? new Task.Pretrain(round, state.global)
                            : new Task.Train(round, state.global, federationLabels());
                }
                if (!participant) {
                    yield new Task.Wait(FederationRun.RETRY_AFTER_MS, "round " + round + " started before this site joined; "
                            + state.takesPartAfter(round, plan.siteEvaluation()));
                }
                yield new Task.Wait(FederationRun.RETRY_AFTER_MS, "round " + round + ": waiting for other sites' updates ("
                        + state.submitted.size() + " of " + state.participants.size() + " in)");
            }
            case AGGREGATING -> new Task.Wait(FederationRun.RETRY_AFTER_MS, "round " + round + ": aggregating and evaluating");
            case SITE_EVALUATION -> state.evaluated.contains(siteId)
                    ? new Task.Wait(FederationRun.RETRY_AFTER_MS, "waiting for other sites to evaluate the final model")
                    : new Task.Evaluate(state.global);
        };
    }

    /**
     * The round's participants' bags per label as they joined, summed over the participants still joined; a site
     * whose declaration is above the round's share cap counts as scaled down to it ({@link RoundWeights#labelsOf}).
     */
    private LabelCounts federationLabels() {
        LabelCounts total = new LabelCounts(0, 0);
        for (String site : state.participants) {
            SiteJoin join = state.sites.get(site);
            if (join != null) {
                total = total.plus(state.weights == null
                        ? new LabelCounts(join.bagsPerLabel().getOrDefault(0, 0L),
                                join.bagsPerLabel().getOrDefault(1, 0L))
                        : state.weights.labelsOf(site, join));
            }
        }
        return total;
    }
}
