package org.fedmil.coordinator.round;

import org.fedmil.coordinator.round.FederationRun.Phase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a round's deadline passes, on the event thread: the updates in are aggregated if they are at
 * least min_updates, otherwise the round is retried or skipped (on_short_round) and nothing of it is aggregated. A
 * paused round's deadline waits for the resume; a secure round's is that of its first step.
 */
final class RoundDeadline {

    private static final Logger log = LoggerFactory.getLogger(RoundDeadline.class);

    private final FederationRun run;
    private final RoundState state;
    private final SecureAggregationDriver secure;
    private final FederationPlan plan;
    private final RoundListener listener;

    RoundDeadline(FederationRun run, RoundState state, SecureAggregationDriver secure, FederationPlan plan,
                  RoundListener listener) {
        this.run = run;
        this.state = state;
        this.secure = secure;
        this.plan = plan;
        this.listener = listener;
    }

    /** Round {@code r}, attempt {@code a}, reached its deadline; nothing happens if that attempt is already over. */
    void passed(int r, int a) {
        if (state.phase != Phase.TRAINING || state.round != r || state.attempt != a) {
            return;
        }
        if (state.paused) {
            // a paused round's deadline waits for the resume: sites were told to wait, not to give up
            run.atDeadline(() -> passed(r, a));
            return;
        }
        if (secure.active()) {
            // the round's first deadline is that of its first secure-aggregation step
            run.atDeadline(() -> run.afterStep(secure.deadlinePassed(r, a, SecureRound.Step.ADVERTISE)));
            return;
        }
        int updates = state.submitted.size();
        if (updates >= plan.rules().minUpdates() && updates > 0) {
            log.info("round {} reached its deadline with {} of {} updates; aggregating those, the others are "
                    + "stragglers: {}", r, updates, state.participants.size(),
                    state.takesPartAfter(r, plan.siteEvaluation()).replace("it takes", "they take"));
            run.fire(PhaseTable.Event.UPDATES_IN);
            run.afterStep(null);
            return;
        }
        boolean retried = plan.rules().onShortRound() == RoundRules.ShortRound.RETRY;
        run.sequence.retryOrSkip(r, a, retried);
        listener.stateChanged(state.runState());
        log.warn("round {} (attempt {}) reached its deadline with {} of the {} updates it needs; it is {}", r, a,
                updates, plan.rules().minUpdates(), retried ? "run again" : "skipped");
        listener.roundShort(r, a, updates, plan.rules().minUpdates(), retried);
        if (!retried && !plan.siteEvaluation() && r == state.lastRound) {
            run.finish(state.roundsDone());
        }
    }
}
