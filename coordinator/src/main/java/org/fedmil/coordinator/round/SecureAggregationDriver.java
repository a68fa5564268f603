package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.secagg.CollusionBound;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.SecAggResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the open round's secure aggregation (docs/secure-aggregation.md) for {@link FederationRun}: opens it with
 * the round, takes the sites' answers step by step, closes each step when everyone answered or its deadline passed,
 * and aborts the round (retried or skipped, nothing aggregated) when fewer than t answered. Everything but
 * {@link #foldSum} runs on the event thread.
 *
 * <p>Methods that may end the round return what is to be told to the listener afterwards (a short round, perhaps the
 * federation's end), or null: the caller tells it after its own state change, as the round log expects.
 */
final class SecureAggregationDriver {

    private static final Logger log = LoggerFactory.getLogger(SecureAggregationDriver.class);

    private final FederationRun run;
    private final RoundState state;
    private final FederationPlan plan;
    private final RoundListener listener;
    private SecureRound secure;

    SecureAggregationDriver(FederationRun run, RoundState state, FederationPlan plan, RoundListener listener) {
        this.run = run;
        this.state = state;
        this.plan = plan;
        this.listener = listener;
    }

    boolean active() {
        return secure != null;
    }

    SecureRound current() {
        return secure;
    }

    /** Opens round {@code r}'s secure aggregation over its participants, or none when the federation asks for none. */
    void open(int r) throws SecAggException {
        secure = null;
        if (!plan.secureAggregation()) {
            return;
        }
        List<Long> weights = new ArrayList<>();
        for (String p : state.participants) {
            weights.add(state.weights.assignedWeight(p));
        }
        long length = state.global.weights().parameterCount();
        secure = new SecureRound(SecureRound.parameters(plan, r, weights, length), state.participants,
                fedSgdRound(length));
    }

    /** DP-FedSGD's side of the round; null without it. */
    private DpFedSgdRound fedSgdRound(long length) {
        var dp = plan.training().requiredDp();
        if (dp.isEmpty() || !dp.get().fedSgd()) {
            return null;
        }
        return new DpFedSgdRound(dp.get().dpFedSgd(), dp.get().delta(), Math.toIntExact(length));
    }

    void clear() {
        secure = null;
    }

    /** The step this participant is asked for now, or why it waits. */
    Task taskFor(String siteId, Task.Train train) {
        Task step = secure.taskFor(siteId, train);
        if (step instanceof Task.SecAggMask m) {
            // the most this site's delta may weigh in the sum, known before anything is masked
            step = m.withWeight(state.weights.assignedWeight(siteId));
        }
        return step != null ? step : new Task.Wait(FederationRun.RETRY_AFTER_MS, "round " + state.round + ": "
                + secure.waitReason());
    }

    void requireMaskStep(String siteId) {
        secure.requireMaskStep(siteId);
    }

    /** Step 0, 1 or 3: a participant's answer. */
    Runnable answer(String siteId, int r, Consumer<SecureRound> answer) {
        state.requireJoined(siteId);
        if (secure == null || state.phase != Phase.TRAINING || r != state.round) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "no secure aggregation of round " + r
                    + " is open (the coordinator is at round " + state.round + ", "
                    + state.phase.name().toLowerCase() + "); ask for the next task");
        }
        if (!state.participants.contains(siteId)) {
            throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId + "' is not a participant of round "
                    + state.round + "; " + state.takesPartAfter(state.round, plan.siteEvaluation()));
        }
        try {
            answer.accept(secure);
        } catch (SecAggException e) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        return closeStepIfComplete();
    }

    /** Refuses a masked upload encoded at another fixed-point scale than this round's. */
    void requireScale(String siteId, IncomingUpdate update) {
        int f = secure.parameters().fractionalBits();
        if (update.fractionalBits() != f) {
            // the same ring values read at another scale would silently shift the sum by a power of two
            throw UpdateRefusal.BAD_HEADER_VALUES.because("masked update of site '" + siteId + "' for round "
                    + state.round + " says it was encoded with fractional_bits = " + update.fractionalBits()
                    + ", but this round's secure aggregation encodes with f = " + f + " (the parameters of its "
                    + "mask task); nothing of it was taken: re-encode with f = " + f + " from the current task "
                    + "(a site agent of another version, or a mask task of another attempt, would do this)");
        }
    }

    /**
     * Step 2: a participant's masked delta, already checked by the {@link UploadValidator}, which the site weighed by
     * {@code weight} (its claim clamped to the round's share cap) before masking.
     */
    void masked(String siteId, long weight, IncomingUpdate update, long[] values) {
        try {
            secure.masked(siteId, new MaskedInput(siteId, weight, values));
        } catch (SecAggException e) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because(e.getMessage());
        }
    }

    /** A participant left: it is no longer waited for, which may close the step. */
    Runnable siteLeft(String siteId) {
        secure.siteLeft(siteId);
        return closeStepIfComplete();
    }

    Runnable closeStepIfComplete() {
        return secure.stepComplete() ? closeStep() : null;
    }

    /** Closes the open step; the round aggregates once the last one closed, and is aborted when too few answered. */
    private Runnable closeStep() {
        int r = state.round;
        int a = state.attempt;
        if (secure.parameters().graphDegree() != 0 && secure.step() == SecureRound.Step.MASK
                && secure.answeredCount() < plan.rules().minUpdates()) {
            // under SecAgg+ t is per neighbourhood, below min_updates: the round's own quorum still holds
            return abort("secure aggregation step mask closed with " + secure.answeredCount() + " masked updates, "
                    + "fewer than min_updates = " + plan.rules().minUpdates(), secure.answeredCount());
        }
        try {
            secure.closeStep();
        } catch (SecureRound.ReleaseRefused e) {
            DpFedSgdRound.Audit refused = secure.fedSgd().audit(r, a, e.shares, state.roundBags, e.getMessage());
            Runnable note = abort(e.getMessage(), e.shares);
            return () -> {
                listener.dpFedSgdRound(refused);
                note.run();
            };
        } catch (SecAggException e) {
            return abort(e.getMessage(), secure.answeredCount());
        }
        if (secure.step() == SecureRound.Step.FINISHING) {
            run.fire(PhaseTable.Event.UPDATES_IN);
        } else {
            SecureRound.Step s = secure.step();
            atStepDeadline(r, a, s);
        }
        return null;
    }

    /**
     * Arms the deadline of step {@code s}: when it passes with the step still open, what it ends is told and the
     * state recorded as after an answer ({@link FederationRun#afterStep}: a short round reaches the round log, a
     * step that closed the last one closes the round). A deadline of a step already over changes nothing.
     */
    private void atStepDeadline(int r, int a, SecureRound.Step s) {
        run.atDeadline(() -> {
            if (state.phase == Phase.TRAINING && state.round == r && state.attempt == a && secure != null
                    && secure.step() == s) {
                run.afterStep(deadlinePassed(r, a, s));
            }
        });
    }

    /** The deadline of step {@code step} of round {@code r}, attempt {@code a}, passed. */
    Runnable deadlinePassed(int r, int a, SecureRound.Step step) {
        if (state.phase != Phase.TRAINING || state.round != r || state.attempt != a || secure == null
                || secure.step() != step) {
            return null;
        }
        if (state.paused) {
            atStepDeadline(r, a, step);
            return null;
        }
        int needed = secure.parameters().threshold();
        if (step == SecureRound.Step.MASK) {
            needed = Math.max(needed, plan.rules().minUpdates());
        }
        int answers = secure.answeredCount();
        if (answers >= needed) {
            log.info("round {}: secure aggregation step {} reached its deadline with {} answers; going on "
                    + "without the others, whose masks the survivors' shares remove", r,
                    step.name().toLowerCase(), answers);
            return closeStep();
        }
        return abort("secure aggregation step " + step.name().toLowerCase() + " reached its deadline with "
                + answers + " answers, fewer than the " + needed + " it needs", answers);
    }

    /** The unmasking of {@code sr} failed on the closing thread: the round is retried or skipped. */
    Runnable unmaskFailed(SecureRound sr, String reason) {
        return secure == sr ? abort(reason, 0) : null;
    }

    /** Nothing of the round is aggregated; it is retried or skipped as a short round is. */
    private Runnable abort(String reason, int answers) {
        int r = state.round;
        int a = state.attempt;
        int needed = secure.parameters().threshold();
        boolean retried = plan.rules().onShortRound() == RoundRules.ShortRound.RETRY;
        log.warn("round {} (attempt {}): {}; the round is {}", r, a, reason, retried ? "run again" : "skipped");
        secure = null;
        run.sequence.retryOrSkip(r, a, retried);
        return () -> {
            listener.roundShort(r, a, answers, needed, retried);
            if (!retried && !plan.siteEvaluation() && r == state.lastRound) {
                run.finish(state.roundsDone());
            }
        };
    }

    /**
     * On the closing thread: rebuilds the secrets, unmasks the sum and folds the bag-weighted mean into the round's
     * aggregate (DP-FedSGD: the pseudo-delta, N = {@code roundBags}, the masked uploads' stated training bags);
     * returns what the round log keeps of it.
     *
     * @throws SecAggException when the unmasking failed; nothing was folded
     */
    static SecureAggregationAudit foldSum(SecureRound sr, RoundAggregation aggregation, long roundBags) {
        SecAggResult result = sr.finish();
        if (!result.badShares().isEmpty()) {
            log.warn("round {}: sites sent unmasking shares off their owner's polynomial, and were outvoted: {}",
                    result.parameters().round(), result.badShares());
        }
        DpFedSgdRound fedSgd = sr.fedSgd();
        if (fedSgd != null) {
            // one update of weight 1: FedAdam steps with exactly the pseudo-delta, as DpFedSgdFederation does
            aggregation.acceptMean(fedSgd.pseudoDelta(result.sum(), roundBags), 1);
        } else {
            aggregation.acceptMean(result.mean(), result.totalBags());
        }
        log.info("round {}: securely aggregated {} sites ({} dropped after sharing keys), {} bags, fixed point 2^-{}",
                result.parameters().round(), result.survivors().size(), result.dropped().size(), result.totalBags(),
                result.parameters().fractionalBits());
        var p = result.parameters();
        var both = org.fedmil.secagg.UnmaskReveal.bothSecretsRevealed(sr.reveals());
        if (!both.isEmpty()) {
            // cannot happen with one unmask request for all; the round log's record shows it to any auditor
            log.error("round {}: both secrets of {} were revealed: the unmask requests were not the same for "
                    + "every site", p.round(), both);
        }
        var graph = sr.graph();
        int holders = graph.complete() ? sr.rosterSize() : graph.degree() + 1;
        return new SecureAggregationAudit(p.round(), sr.rosterSize(), p.threshold(),
                CollusionBound.toleratedColluders(holders, p.threshold()), result.survivors(),
                result.dropped(), sr.reveals(), SecureAggregationAudit.Graph.of(graph), sr.survivorSignatures());
    }
}
