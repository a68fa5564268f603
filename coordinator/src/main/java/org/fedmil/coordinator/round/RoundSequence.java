package org.fedmil.coordinator.round;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.secagg.SecAggException;
import org.fedmil.tensor.TensorSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which round runs next, on the event thread: the next one, a retry of a short one, none while paused, or, past
 * the last, the sites' evaluation of the final model. Opening a round fixes its participants, its aggregate and its
 * secure aggregation, and sets its deadline.
 */
final class RoundSequence {

    private static final Logger log = LoggerFactory.getLogger(RoundSequence.class);

    private final FederationRun run;
    private final RoundState state;
    private final FederationPlan plan;
    private final List<TensorSpec> specs;
    private final Strategy strategy;
    private final Strategy pretraining;
    private final SecureAggregationDriver secure;
    private final RoundDeadline deadline;
    private final EventLoop events;
    private final RoundListener listener;

    RoundSequence(FederationRun run, RoundState state, FederationPlan plan, List<TensorSpec> specs,
                  Strategy strategy, Strategy pretraining, SecureAggregationDriver secure,
                  RoundDeadline deadline, EventLoop events, RoundListener listener) {
        this.run = run;
        this.state = state;
        this.plan = plan;
        this.specs = specs;
        this.strategy = strategy;
        this.pretraining = pretraining;
        this.secure = secure;
        this.deadline = deadline;
        this.events = events;
        this.listener = listener;
        state.norms = new NormReference(plan.rules().maxNormToMedian());
    }

    /** Short round {@code r}, attempt {@code a}: nothing of it is aggregated; it runs again or is skipped. */
    void retryOrSkip(int r, int a, boolean retried) {
        if (retried) {
            startRound(r, a + 1);
        } else {
            state.skipped.add(r);
            nextRoundOrEnd(r + 1);
        }
    }

    /** Starts round r, or, past the last round, the site evaluation. */
    void nextRoundOrEnd(int r) {
        if (r <= state.lastRound && state.paused) {
            state.round = r - 1; // the round opens when the operator resumes
            run.fire(PhaseTable.Event.HELD);
        } else if (r <= state.lastRound) {
            startRound(r, 1);
        } else {
            state.round = state.lastRound;
            if (plan.siteEvaluation()) {
                run.fire(PhaseTable.Event.ROUNDS_DONE);
                // a site that died for good must not keep the federation from finishing
                run.atDeadline(() -> run.finish(state.roundsDone() + "; the site evaluation deadline "
                        + "passed with " + state.evaluated.size() + " of " + state.sites.size() + " sites' reports"));
            }
        }
    }

    private void startRound(int r, int a) {
        state.round = r;
        state.attempt = a;
        state.participants.clear();
        state.participants.addAll(state.sites.keySet());
        state.submitted.clear();
        state.weightedLossSum = 0;
        state.roundBags = 0;
        state.validation = new FederatedValidation.Sum();
        state.aggregation = RoundAggregation.open(plan.isPretrainingRound(r), specs, strategy, pretraining);
        Map<String, SiteJoin> joins = new LinkedHashMap<>();
        state.participants.forEach(site -> joins.put(site, state.sites.get(site)));
        state.weights = RoundWeights.open(joins, plan.rules().maxSiteShare());
        state.norms.roundOpened(plan.isPretrainingRound(r));
        state.effectiveWeights.clear();
        try {
            secure.open(r);
        } catch (SecAggException e) {
            // no fixed point fits this round's K, bag counts and bound: the federation stops, saying which
            log.error("round {} cannot be securely aggregated: {}", r, e.getMessage());
            run.finish("round " + r + " cannot be securely aggregated: " + e.getMessage());
            return;
        }
        run.fire(PhaseTable.Event.ROUND_OPENED);
        state.roundStartNanos = System.nanoTime();
        int n = state.participants.size();
        // told after the event that opened it, so that a short attempt is told before its retry starts
        events.post(() -> listener.roundStarted(r, n));
        if (secure.active()) {
            run.atDeadline(() -> run.afterStep(secure.deadlinePassed(r, a, SecureRound.Step.ADVERTISE)));
        } else {
            run.atDeadline(() -> deadline.passed(r, a));
        }
    }
}
