package org.fedmil.coordinator.round;

import org.fedmil.coordinator.round.FederationRun.Phase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator (or a site, for itself) may do to a running federation: pause and resume it, abort it, make a
 * site leave (a revoked site leaves this way). Runs on the event thread, as part of {@link FederationRun}.
 */
final class OperatorControls {

    private static final Logger log = LoggerFactory.getLogger(OperatorControls.class);

    private final FederationRun run;
    private final RoundState state;
    private final SecureAggregationDriver secure;
    private final FederationPlan plan;
    private final RoundListener listener;

    OperatorControls(FederationRun run, RoundState state, SecureAggregationDriver secure, FederationPlan plan,
                     RoundListener listener) {
        this.run = run;
        this.state = state;
        this.secure = secure;
        this.plan = plan;
        this.listener = listener;
    }

    /** No new round starts and no train task is handed out; false when already paused or finished. */
    boolean pause() {
        if (state.paused || state.phase == Phase.FINISHED) {
            return false;
        }
        state.paused = true;
        log.info("federation '{}' paused by the operator in round {}", plan.federationId(), state.round);
        listener.stateChanged(state.runState());
        return true;
    }

    /** The round due opens now if enough sites are joined; false when it was not paused. */
    boolean resume() {
        if (!state.paused) {
            return false;
        }
        state.paused = false;
        if (state.phase == Phase.WAITING_FOR_SITES && state.sites.size() >= plan.minSites()
                && state.round < state.lastRound) {
            run.sequence.nextRoundOrEnd(state.round + 1);
        }
        log.info("federation '{}' resumed by the operator", plan.federationId());
        listener.stateChanged(state.runState());
        return true;
    }

    /**
     * The site is no longer joined; the open round stops waiting for it (and closes at once if every other
     * participant is in), and so does the final evaluation (which ends at once if every other site has reported).
     */
    void leave(String siteId, String reason) {
        state.requireJoined(siteId);
        state.sites.remove(siteId);
        state.departed.add(siteId);
        int remaining = state.sites.size();
        boolean closeNow = false;
        Runnable note = null;
        if (state.phase == Phase.TRAINING && secure.active() && state.participants.contains(siteId)) {
            note = secure.siteLeft(siteId);
            closeNow = state.phase == Phase.AGGREGATING;
        } else if (state.phase == Phase.TRAINING && state.participants.contains(siteId)
                && !state.submitted.containsKey(siteId)) {
            state.participants.remove(siteId);
            if (!state.submitted.isEmpty() && state.submitted.size() == state.participants.size()) {
                run.fire(PhaseTable.Event.UPDATES_IN);
                closeNow = true;
            }
        }
        listener.siteLeft(siteId, reason, remaining);
        listener.stateChanged(state.runState());
        if (note != null) {
            note.run();
        }
        if (closeNow) {
            run.closeRound();
        }
        if (state.phase == Phase.SITE_EVALUATION && state.evaluated.containsAll(state.sites.keySet())) {
            // the one evaluation still awaited was the leaver's: nothing is left to wait for
            run.finish(state.roundsDone());
        }
    }

    /** Ends the federation now; sites are told to stop at their next poll. */
    void abort(String reason) {
        run.finish(reason);
    }
}
