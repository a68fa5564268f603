package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.secagg.SecAggException;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a round whose updates are in: the event thread hands over what the round collected, a closing thread of
 * its own unmasks (for a secure round), aggregates and evaluates it, and the outcome comes back to the event thread
 * as an event, which records the new model and opens the next round. Site calls never wait on the closing thread.
 */
final class RoundCloser {

    private static final Logger log = LoggerFactory.getLogger(RoundCloser.class);

    private final FederationRun run;
    private final RoundState state;
    private final SecureAggregationDriver secure;
    private final EventLoop events;
    private final HeldOutEvaluation heldOut;
    private final FederationPlan plan;
    private final RoundListener listener;
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "round-closer");
        t.setDaemon(true);
        return t;
    });
    private final List<RoundCloseTiming> closeTimings = new CopyOnWriteArrayList<>();
    /** The open round's close, from aggregating to the next round's opening; event thread only. */
    private CompletableFuture<Void> closing = CompletableFuture.completedFuture(null);

    RoundCloser(FederationRun run, RoundState state, SecureAggregationDriver secure, EventLoop events,
                HeldOutEvaluation heldOut, FederationPlan plan, RoundListener listener) {
        this.run = run;
        this.state = state;
        this.secure = secure;
        this.events = events;
        this.heldOut = heldOut;
        this.plan = plan;
        this.listener = listener;
    }

    /** How long closing each round took, by part, in the order the rounds closed. */
    List<RoundCloseTiming> timings() {
        return List.copyOf(closeTimings);
    }

    /** The latest close started: done once its outcome was taken in on the event thread. Event thread only. */
    CompletableFuture<Void> latest() {
        return closing;
    }

    /** Hands the round's aggregation and evaluation to the closing thread; its outcome comes back as an event. */
    void closeOpenRound() {
        int round = state.round;
        long t0 = state.roundStartNanos;
        GlobalModel global = state.global;
        SecureRound sr = secure.current();
        DpFedSgdRound.Audit dpRound = sr == null || sr.fedSgd() == null ? null
                : sr.fedSgd().audit(round, state.attempt, sr.maskedShares(), state.roundBags, null);
        RoundAggregation aggregation = state.aggregation;
        List<String> roundSites = List.copyOf(new TreeSet<>(state.submitted.keySet()));
        long bags = state.roundBags;
        double loss = state.weightedLossSum / bags;
        FederatedValidation validation = state.validation.of(round - 1, global.version()).orElse(null);
        Map<String, Map<Integer, Long>> sitesBagsPerLabel = new TreeMap<>();
        for (String site : roundSites) {
            SiteJoin join = state.sites.get(site);
            if (join != null) {
                sitesBagsPerLabel.put(site, join.bagsPerLabel());
            }
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        closing = done;
        try {
            closer.execute(() -> {
                Runnable outcome = closed(round, t0, global, sr, dpRound, aggregation, roundSites,
                        sitesBagsPerLabel, bags, loss, validation);
                events.post(() -> {
                    try {
                        outcome.run();
                        run.publish();
                    } finally {
                        done.complete(null);
                    }
                });
            });
        } catch (RejectedExecutionException closed) {
            done.complete(null); // the run is being closed; no round will be closed any more
        }
    }

    /** On the closing thread: aggregates and evaluates; returns the event that takes the outcome in. */
    private Runnable closed(int round, long t0, GlobalModel global, SecureRound sr, DpFedSgdRound.Audit dpRound,
                            RoundAggregation aggregation,
                            List<String> roundSites, Map<String, Map<Integer, Long>> sitesBagsPerLabel, long bags,
                            double loss, FederatedValidation validation) {
        try {
            long tAggregate = System.nanoTime(); // unmasking is part of aggregating a secure round
            SecureAggregationAudit secureAudit = null;
            if (sr != null) {
                try {
                    secureAudit = SecureAggregationDriver.foldSum(sr, aggregation, bags);
                } catch (SecAggException e) {
                    return () -> unmaskFailed(sr, e.getMessage());
                }
            }
            TensorSet weights = aggregation.applyTo(global.weights());
            GlobalModel next = GlobalModel.of(global.version() + 1, global.spec(), weights);
            long tEvaluate = System.nanoTime();
            HeldOutReport report = heldOut.report(weights, TrainingChecks.judged(plan, round));
            List<LearningWarning> warnings = new ArrayList<>(report.warnings());
            warnings.addAll(TrainingChecks.of(plan, round, sitesBagsPerLabel, loss));
            RoundResult result = new RoundResult(round, next.version(), Sha256.hex(next.sha256()), roundSites, bags,
                    loss, report.metrics(), (System.nanoTime() - t0) / 1e9, report.aucCi(), warnings, validation);
            double aggregateSeconds = (tEvaluate - tAggregate) / 1e9;
            double evaluateSeconds = (System.nanoTime() - tEvaluate) / 1e9;
            SecureAggregationAudit audited = secureAudit;
            return () -> roundClosed(result, next, aggregateSeconds, evaluateSeconds, audited, dpRound);
        } catch (RuntimeException e) {
            return () -> roundFailed(round, e);
        }
    }

    private void roundClosed(RoundResult result, GlobalModel next, double aggregateSeconds, double evaluateSeconds,
                             SecureAggregationAudit secureAudit, DpFedSgdRound.Audit dpRound) {
        long tRecord = System.nanoTime();
        try {
            if (secureAudit != null) {
                listener.secureAggregationFinished(secureAudit);
            }
            if (dpRound != null) {
                listener.dpFedSgdRound(dpRound); // released: its sum was unmasked and stepped with
            }
            listener.roundCompleted(result, next);
        } catch (RuntimeException e) {
            roundFailed(result.round(), e);
            return;
        }
        closeTimings.add(new RoundCloseTiming(result.round(), aggregateSeconds, evaluateSeconds,
                (System.nanoTime() - tRecord) / 1e9));
        state.global = next;
        state.history.add(result);
        if (state.stoppedEarly == null && result.round() < state.lastRound) {
            ModelChoice.stopReason(plan.earlyStopping(), state.history).ifPresent(reason -> {
                log.info("{}", reason);
                state.lastRound = result.round();
                state.stoppedEarly = reason;
            });
        }
        run.sequence.nextRoundOrEnd(state.round + 1);
        listener.stateChanged(state.runState());
        if (!plan.siteEvaluation() && result.round() == state.lastRound) {
            run.finish(state.roundsDone());
        }
    }

    /**
     * The round was retried or skipped for its failed unmasking. Not closed again, even when skipping the last round
     * left the phase at aggregating: the federation's end follows from the note.
     */
    private void unmaskFailed(SecureRound sr, String reason) {
        Runnable note = secure.unmaskFailed(sr, reason);
        if (note != null) {
            listener.stateChanged(state.runState());
            note.run();
        }
    }

    private void roundFailed(int round, RuntimeException e) {
        log.error("round {} could not be closed; the federation stops so that no unevaluated model is served", round,
                e);
        run.finish("round " + round + " failed: " + e.getMessage());
    }

    /** Waits for {@code close} to be done, for callers that must see its outcome. */
    static void await(CompletableFuture<Void> close) {
        try {
            close.get(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the round's close did not end", e);
        }
    }

    void shutdown() throws InterruptedException {
        closer.shutdown();
        if (!closer.awaitTermination(30, TimeUnit.SECONDS)) {
            closer.shutdownNow();
        }
    }
}
