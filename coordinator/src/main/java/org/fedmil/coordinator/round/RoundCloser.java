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
import java.util.concurrent.Future;
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
 * Closes a round whose updates are in. The event thread hands over what the round collected; a closing thread of its
 * own unmasks (for a secure round) and aggregates it, then saves the new model durably (on a writer thread) while it
 * scores it on the held-out set; the outcome comes back to the event thread as events. Site calls never wait on the
 * closing thread.
 *
 * <p>A round aggregated in the clear does not keep the next round waiting for its save and evaluation: as soon as
 * the new model is made (aggregated and hashed) the event thread serves it and opens the next round, and the round's
 * record (metrics.json, the round log's {@code round_aggregated}, both carrying the model's SHA-256) is written once
 * the model is durable and evaluated. Until then the round is <em>unrecorded</em>, and nothing that a restart would
 * read as coming after it happens: the next round cannot close (closes run one at a time on the closing thread, and
 * each waits for its record), a deadline's skip or retry and the federation's finish wait for the record
 * ({@link #whenRecorded}). A crash in that window therefore leaves metrics.json ending at the previous round, and the
 * restarted coordinator runs the unrecorded round again from the previous model (docs/operator-guide.md, "Crash
 * windows"). A securely aggregated round keeps the old order (saved, evaluated and recorded before the next round
 * opens): its steps' deadlines can abandon a round in ways this gate does not cover.
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
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> daemon(r, "round-closer"));
    /** Writes the new model while the closing thread evaluates it. */
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> daemon(r, "model-writer"));
    private final List<RoundCloseTiming> closeTimings = new CopyOnWriteArrayList<>();
    /** The open round's close, from aggregating to its record; event thread only. */
    private CompletableFuture<Void> closing = CompletableFuture.completedFuture(null);
    /** The round whose model is served but not yet recorded, or 0; event thread only. */
    private int unrecorded;
    /** When the unrecorded round's model was served, seconds after its last update; event thread only. */
    private double openedAfterSeconds = Double.NaN;
    /** Events that wait for the unrecorded round's record; event thread only. */
    private final List<Runnable> afterRecord = new ArrayList<>();

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

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** How long closing each round took, by part, in the order the rounds closed. */
    List<RoundCloseTiming> timings() {
        return List.copyOf(closeTimings);
    }

    /** The latest close started: done once its record was taken in on the event thread. Event thread only. */
    CompletableFuture<Void> latest() {
        return closing;
    }

    /** Whether a round's model is served but its record not yet written. Event thread only. */
    boolean recordPending() {
        return unrecorded != 0;
    }

    /**
     * Runs {@code event} now, or, while a round is unrecorded, on the event thread right after its record (or its
     * failure). For every change a restart would read as coming after that round: a skip, a retry, the finish.
     *
     * @return done once {@code event} ran
     */
    CompletableFuture<Void> whenRecorded(Runnable event) {
        CompletableFuture<Void> ran = new CompletableFuture<>();
        Runnable once = () -> {
            try {
                event.run();
            } finally {
                ran.complete(null);
            }
        };
        if (recordPending()) {
            afterRecord.add(once);
        } else {
            once.run();
        }
        return ran;
    }

    /** Hands the round's close to the closing thread; its outcome comes back as events. Event thread only. */
    void closeOpenRound() {
        ClosingRound c = handover();
        boolean overlap = !plan.secureAggregation();
        CompletableFuture<Void> done = new CompletableFuture<>();
        closing = done;
        try {
            closer.execute(() -> close(c, overlap, done));
        } catch (RejectedExecutionException closed) {
            done.complete(null); // the run is being closed; no round will be closed any more
        }
    }

    private ClosingRound handover() {
        int round = state.round;
        GlobalModel global = state.global;
        List<String> roundSites = List.copyOf(new TreeSet<>(state.submitted.keySet()));
        Map<String, Map<Integer, Long>> sitesBagsPerLabel = new TreeMap<>();
        for (String site : roundSites) {
            SiteJoin join = state.sites.get(site);
            if (join != null) {
                sitesBagsPerLabel.put(site, join.bagsPerLabel());
            }
        }
        SecureRound sr = secure.current();
        DpFedSgdRound.Audit dpRound = sr == null || sr.fedSgd() == null ? null
                : sr.fedSgd().audit(round, state.attempt, sr.maskedShares(), state.roundBags, null);
        return new ClosingRound(round, state.roundStartNanos, global, sr, state.aggregation,
                roundSites, sitesBagsPerLabel, state.roundBags, state.weightedLossSum / state.roundBags,
                state.validation.of(round - 1, global.version()).orElse(null), System.nanoTime(), dpRound);
    }

    /** The new model, made on the closing thread. */
    private record Made(GlobalModel next, double aggregateSeconds, SecureAggregationAudit secureAudit) {
    }

    /** How long the closing thread's parts took. */
    private record Parts(double aggregateSeconds, double evaluateSeconds, double saveSeconds) {
    }

    /** On the closing thread: the whole close, returning once the round's record (or failure) was taken in. */
    private void close(ClosingRound c, boolean overlap, CompletableFuture<Void> done) {
        Made made;
        try {
            made = aggregate(c);
        } catch (SecAggException e) {
            onEvents(() -> unmaskFailed(c.secure(), e.getMessage()), done);
            return;
        } catch (RuntimeException e) {
            onEvents(() -> roundFailed(c.round(), e), done);
            return;
        }
        if (overlap) {
            events.post(() -> {
                opened(c, made);
                run.publish();
            });
        }
        onEvents(saveAndEvaluate(c, made, overlap), done);
        // the next close starts only once this round is recorded: until then the strategy's state and the history
        // are this round's, and a restart finds every round it reads as done in metrics.json
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the run is being closed without waiting for this record
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private void onEvents(Runnable outcome, CompletableFuture<Void> done) {
        events.post(() -> {
            try {
                outcome.run();
                run.publish();
            } finally {
                done.complete(null);
            }
        });
    }

    private static Made aggregate(ClosingRound c) throws SecAggException {
        long t = System.nanoTime(); // unmasking is part of aggregating a secure round
        SecureAggregationAudit secureAudit = c.secure() == null ? null
                : SecureAggregationDriver.foldSum(c.secure(), c.aggregation(), c.bags());
        TensorSet weights = c.aggregation().applyTo(c.from().weights());
        GlobalModel next = GlobalModel.of(c.from().version() + 1, c.from().spec(), weights);
        return new Made(next, seconds(t), secureAudit);
    }

    /**
     * On the closing thread: saves the new model (writer thread) while scoring it on the held-out set; returns the
     * event that records the round, or, if either failed, the one that stops the federation.
     */
    private Runnable saveAndEvaluate(ClosingRound c, Made made, boolean overlap) {
        Future<Double> saved;
        try {
            saved = writer.submit(() -> {
                long t = System.nanoTime();
                listener.saveModel(made.next());
                return seconds(t);
            });
        } catch (RejectedExecutionException closed) {
            return () -> notRecorded(c.round());
        }
        long tEvaluate = System.nanoTime();
        HeldOutReport report;
        try {
            report = heldOut.report(made.next().weights(), TrainingChecks.judged(plan, c.round()));
        } catch (RuntimeException e) {
            return () -> roundFailed(c.round(), e);
        }
        double evaluateSeconds = seconds(tEvaluate);
        double saveSeconds;
        try {
            saveSeconds = saved.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return () -> saveFailed(c.round(), made.next(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return () -> notRecorded(c.round());
        }
        List<LearningWarning> warnings = new ArrayList<>(report.warnings());
        warnings.addAll(TrainingChecks.of(plan, c.round(), c.sitesBagsPerLabel(), c.loss()));
        GlobalModel next = made.next();
        RoundResult result = new RoundResult(c.round(), next.version(), Sha256.hex(next.sha256()), c.sites(),
                c.bags(), c.loss(), report.metrics(), seconds(c.startNanos()), report.aucCi(), warnings,
                c.validation());
        Parts parts = new Parts(made.aggregateSeconds(), evaluateSeconds, saveSeconds);
        return () -> recorded(c, result, made, parts, overlap);
    }

    /**
     * On the event thread, once a round aggregated in the clear has its new model: serves it and opens the next
     * round. Early stopping is decided here, from the sites' federated validation alone (never the held-out set):
     * this round's uploads carry the validation of the model it started from, so nothing the evaluation adds is
     * needed to decide.
     */
    private void opened(ClosingRound c, Made made) {
        if (state.phase == FederationRun.Phase.FINISHED) {
            return; // aborted while it aggregated: nothing opens; the record still comes
        }
        unrecorded = c.round();
        state.global = made.next();
        List<RoundResult> history = new ArrayList<>(state.history);
        history.add(new RoundResult(c.round(), made.next().version(), "", c.sites(), c.bags(), c.loss(), null,
                Double.NaN, null, List.of(), c.validation()));
        stopEarlyIfDue(history);
        run.sequence.nextRoundOrEnd(state.round + 1);
        listener.stateChanged(state.runState());
        openedAfterSeconds = seconds(c.inNanos());
    }

    private void stopEarlyIfDue(List<RoundResult> history) {
        RoundResult last = history.get(history.size() - 1);
        if (state.stoppedEarly == null && last.round() < state.lastRound) {
            ModelChoice.stopReason(plan.earlyStopping(), history).ifPresent(reason -> {
                log.info("{}", reason);
                state.lastRound = last.round();
                state.stoppedEarly = reason;
            });
        }
    }

    /** On the event thread: the model is durable and evaluated; writes the round's record. */
    private void recorded(ClosingRound c, RoundResult result, Made made, Parts parts, boolean overlap) {
        long tRecord = System.nanoTime();
        double openedAfter = overlap ? openedAfterSeconds : Double.NaN;
        unrecorded = 0;
        openedAfterSeconds = Double.NaN;
        try {
            if (made.secureAudit() != null) {
                listener.secureAggregationFinished(made.secureAudit());
            }
            if (c.dpRound() != null) {
                listener.dpFedSgdRound(c.dpRound()); // released: its sum was unmasked and stepped with
            }
            listener.roundCompleted(result, made.next());
        } catch (RuntimeException e) {
            roundFailed(result.round(), e);
            return;
        }
        state.history.add(result);
        if (!overlap) {
            state.global = made.next();
            stopEarlyIfDue(state.history);
            run.sequence.nextRoundOrEnd(state.round + 1);
            listener.stateChanged(state.runState());
            openedAfter = seconds(c.inNanos());
        }
        RoundCloseTiming timing = new RoundCloseTiming(result.round(), parts.aggregateSeconds(),
                parts.evaluateSeconds(), seconds(tRecord), parts.saveSeconds(), openedAfter, seconds(c.inNanos()));
        closeTimings.add(timing);
        log.info(String.format(java.util.Locale.ROOT, "round %d closed: aggregated and hashed in %.3f s, next round "
                        + "open %.3f s after its last update; model saved in %.3f s, evaluated in %.3f s, recorded in "
                        + "%.3f s, %.3f s after its last update", result.round(), timing.aggregateSeconds(),
                timing.openedAfterSeconds(), timing.saveSeconds(), timing.evaluateSeconds(), timing.recordSeconds(),
                timing.recordedAfterSeconds()));
        if (!plan.siteEvaluation() && result.round() == state.lastRound) {
            run.finish(state.roundsDone());
        }
        runAfterRecord();
    }

    private void runAfterRecord() {
        List<Runnable> waiting = List.copyOf(afterRecord);
        afterRecord.clear();
        for (Runnable event : waiting) {
            try {
                event.run();
            } catch (RuntimeException e) {
                log.error("an event that waited for a round's record failed", e);
            }
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

    /**
     * The coordinator is stopping (SIGTERM) and did not wait for the round's save: nothing of the round is recorded
     * and the federation is not finished, so the restarted coordinator runs the round again.
     */
    private void notRecorded(int round) {
        unrecorded = 0;
        openedAfterSeconds = Double.NaN;
        afterRecord.clear(); // the run is closing: nothing that waited for the record happens any more
        log.warn("round {} is not recorded: the coordinator stopped before its model was saved; a coordinator started "
                + "again on this state folder runs it again", round);
    }

    private void saveFailed(int round, GlobalModel model, Throwable cause) {
        RuntimeException e = cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        log.error("the global model v{} of round {} could not be saved to the state folder ({}); the round is not "
                + "recorded, and the federation stops rather than run on from a model that is not on disk (check the "
                + "state folder's free space and permissions)", model.version(), round, e.getMessage());
        roundFailed(round, new IllegalStateException("its model v" + model.version() + " could not be saved: "
                + e.getMessage(), e));
    }

    private void roundFailed(int round, RuntimeException e) {
        unrecorded = 0;
        openedAfterSeconds = Double.NaN;
        log.error("round {} could not be closed; the federation stops so that no unevaluated or unsaved model is "
                + "served", round, e);
        run.finish("round " + round + " failed: " + e.getMessage());
        runAfterRecord();
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

    /** Lets a close under way finish (its model saved and its record written), then stops the closing threads. */
    void shutdown() throws InterruptedException {
        closer.shutdown();
        if (!closer.awaitTermination(30, TimeUnit.SECONDS)) {
            closer.shutdownNow();
        }
        writer.shutdown();
        if (!writer.awaitTermination(30, TimeUnit.SECONDS)) {
            writer.shutdownNow();
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
