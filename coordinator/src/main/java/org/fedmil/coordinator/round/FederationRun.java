package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.fedmil.coordinator.aggregate.Aggregator;
import org.fedmil.coordinator.round.PhaseTable.Event;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.ShareBundle;
import org.fedmil.secagg.UnmaskResponse;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's rounds as a state machine without a network: sites join, round r sends every joined site a train
 * task from global model r−1, each site's delta is checked and folded into the round's aggregate as it arrives, and
 * once every participant has reported (or the round's deadline passed with at least min_updates in) the new global
 * model is made, evaluated on the held-out set and saved before round r+1 starts. A round short of min_updates at
 * its deadline is retried or skipped, never aggregated. After the last round every site evaluates the final model
 * on its own bags and is then told to stop. Phases change only as {@link PhaseTable} allows.
 *
 * <p>A run can {@link Resume resume} from a restarted coordinator's state folder: the round that was open at the
 * crash runs again from the last completed round's model.
 *
 * <p>Threading: the state lives on one event thread ({@link EventLoop}). Request threads check an upload's content
 * on their own ({@link UploadValidator}), then hand their event to that thread and wait for its answer; every
 * {@link RoundListener} callback and the finish run on it, so the federation finishes once. Aggregating and
 * evaluating a round run on a closing thread, so that site calls never wait on them. Readers get the published
 * {@link RunView}.
 */
public final class FederationRun implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FederationRun.class);

    /** How long a waiting site is told to wait before it asks again, when it asked not to be held. */
    static final int RETRY_AFTER_MS = 500;

    /** Site text for {@link Task.Wait} while paused. */
    public static final String PAUSED_REASON = "paused by the operator";

    public enum Phase { WAITING_FOR_SITES, TRAINING, AGGREGATING, SITE_EVALUATION, FINISHED }

    /** What the operator sees of one site. */
    public record SiteView(String siteId, String state, int updatesAccepted) {
    }

    /** The numbers accepted for one upload. */
    public record UploadAccepted(int round, int updatesReceived, int updatesExpected) {
    }

    private final FederationPlan plan;
    private final RoundRules rules;
    private final List<TensorSpec> specs;
    private final Resume resume;
    private final HeldOutEvaluation heldOut;
    private final Function<List<TensorSpec>, Aggregator> aggregatorFactory;
    private final Function<List<TensorSpec>, Aggregator> pretrainingFactory;
    private final RoundListener listener;
    private final EventLoop events = new EventLoop();
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "round-closer");
        t.setDaemon(true);
        return t;
    });
    private final RoundState state;
    private final PublishedView published;
    private final UploadValidator validator;
    private final SecureAggregationDriver secure;
    private final OperatorControls controls;
    private final List<RoundCloseTiming> closeTimings = new CopyOnWriteArrayList<>();
    /** The open round's close, from aggregating to the next round's opening; event thread only. */
    private CompletableFuture<Void> closing = CompletableFuture.completedFuture(null);

    public FederationRun(FederationPlan plan, GlobalModel initial, HeldOutEvaluation heldOut,
                         Function<List<TensorSpec>, Aggregator> aggregatorFactory, RoundListener listener) {
        this(plan, initial, null, heldOut, aggregatorFactory, listener);
    }

    /** @param resume where a restarted coordinator takes up, or null for a new federation from {@code initial} */
    public FederationRun(FederationPlan plan, GlobalModel initial, Resume resume, HeldOutEvaluation heldOut,
                         Function<List<TensorSpec>, Aggregator> aggregatorFactory, RoundListener listener) {
        this(plan, initial, resume, heldOut, aggregatorFactory, RoundAggregation.PRETRAINING_DEFAULT, listener);
    }

    /** @param pretrainingFactory what aggregates the encoder deltas of pretraining rounds */
    public FederationRun(FederationPlan plan, GlobalModel initial, Resume resume, HeldOutEvaluation heldOut,
                         Function<List<TensorSpec>, Aggregator> aggregatorFactory,
                         Function<List<TensorSpec>, Aggregator> pretrainingFactory, RoundListener listener) {
        this.plan = plan;
        this.rules = plan.rules();
        this.resume = resume;
        this.heldOut = heldOut;
        this.aggregatorFactory = aggregatorFactory;
        this.pretrainingFactory = pretrainingFactory;
        this.listener = listener;
        this.state = new RoundState(plan.federationId(), resume == null ? initial : resume.model());
        this.specs = List.copyOf(state.global.weights().specs());
        this.validator = new UploadValidator(plan, specs);
        this.secure = new SecureAggregationDriver(this, state, plan, listener);
        this.controls = new OperatorControls(this, state, secure, plan, listener);
        this.published = new PublishedView(state.view());
    }

    /**
     * Evaluates and reports the initial model as round 0; call once before sites are admitted. A resumed run
     * reports nothing again: it takes up its history and waits for sites to re-join.
     */
    public RoundResult start() {
        if (resume != null) {
            log.info("resuming federation '{}': {} rounds completed, {} skipped, global model v{}; round {} runs next",
                    plan.federationId(), resume.completed().size() - 1, resume.skipped().size(),
                    resume.model().version(), resume.nextRound());
            return change(() -> {
                state.history.addAll(resume.completed());
                state.skipped.addAll(resume.skipped());
                state.round = resume.nextRound() - 1;
                listener.stateChanged(state.runState());
                return resume.completed().get(resume.completed().size() - 1);
            });
        }
        long t0 = System.nanoTime();
        GlobalModel initial = published.get().model();
        BinaryMetrics metrics = heldOut.evaluate(initial.weights());
        RoundResult r0 = new RoundResult(0, initial.version(), Sha256.hex(initial.sha256()), List.of(), 0,
                Double.NaN, metrics, seconds(t0));
        return change(() -> {
            state.history.add(r0);
            listener.roundCompleted(r0, initial);
            return r0;
        });
    }

    public String join(String siteId, SiteJoin join) {
        return change(() -> {
            if (state.phase == Phase.FINISHED) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION,
                        "federation '" + plan.federationId() + "' has finished; nothing left to join");
            }
            state.sites.put(siteId, join);
            state.departed.remove(siteId);
            listener.siteJoined(siteId, join, state.sites.size(), plan.minSites());
            if (state.phase == Phase.WAITING_FOR_SITES && state.sites.size() >= plan.minSites() && !state.paused) {
                nextRoundOrEnd(state.round + 1);
                listener.stateChanged(state.runState());
            }
            if (!plan.siteEvaluation() && state.phase == Phase.WAITING_FOR_SITES && state.round >= plan.rounds()) {
                finish("all " + plan.rounds() + " rounds done"); // a resumed run that had nothing left but its end
            }
            return plan.federationId();
        });
    }

    /**
     * Calls {@code hook} after every published change of the run (a site joined, an update arrived, a round opened
     * or closed, …), on the event thread: it must only take note (release a permit, unpark a thread) and never
     * call back into the run; the long polls of the gRPC server use it to re-decide held polls.
     */
    public void onChange(Runnable hook) {
        published.onChange(hook);
    }

    /**
     * The site's next task. A site with nothing to do is held up to {@code maxWait} so that it learns of the next
     * round at once rather than at its next poll.
     */
    public Task nextTask(String siteId, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        while (true) {
            // asked again at every wake-up: a site revoked while its poll is held gets its call ended
            Decision d = events.ask(() -> decide(siteId));
            long left = deadline - System.nanoTime();
            if (!(d.task() instanceof Task.Wait) || left <= 0) {
                return d.task();
            }
            published.awaitNewerThan(d.seq(), left);
        }
    }

    private record Decision(Task task, long seq) {
    }

    private Decision decide(String siteId) {
        state.requireJoined(siteId);
        Task task = taskFor(siteId);
        if (task instanceof Task.Stop && state.stopped.add(siteId)) {
            publish();
        }
        return new Decision(task, published.get().seq());
    }

    private Task taskFor(String siteId) {
        int round = state.round;
        boolean participant = state.participants.contains(siteId);
        if (state.paused && (state.phase == Phase.TRAINING || state.phase == Phase.WAITING_FOR_SITES)) {
            return new Task.Wait(RETRY_AFTER_MS, PAUSED_REASON);
        }
        return switch (state.phase) {
            case FINISHED -> new Task.Stop(state.finishReason);
            case WAITING_FOR_SITES -> new Task.Wait(RETRY_AFTER_MS, "waiting for sites to join: "
                    + state.sites.size() + " of " + plan.minSites() + " needed");
            case TRAINING -> {
                if (secure.active() && participant) {
                    yield secure.taskFor(siteId, new Task.Train(round, state.global));
                }
                if (participant && !state.submitted.containsKey(siteId)) {
                    yield plan.isPretrainingRound(round) ? new Task.Pretrain(round, state.global)
                            : new Task.Train(round, state.global);
                }
                if (!participant) {
                    yield new Task.Wait(RETRY_AFTER_MS, "round " + round + " started before this site joined; it "
                            + "takes part from round " + (round + 1));
                }
                yield new Task.Wait(RETRY_AFTER_MS, "round " + round + ": waiting for other sites' updates ("
                        + state.submitted.size() + " of " + state.participants.size() + " in)");
            }
            case AGGREGATING -> new Task.Wait(RETRY_AFTER_MS, "round " + round + ": aggregating and evaluating");
            case SITE_EVALUATION -> state.evaluated.contains(siteId)
                    ? new Task.Wait(RETRY_AFTER_MS, "waiting for other sites to evaluate the final model")
                    : new Task.Evaluate(state.global);
        };
    }

    public GlobalModel model(long version) {
        GlobalModel global = published.get().model();
        if (version != global.version()) {
            throw new FederationException(Status.Code.NOT_FOUND, "model version " + version
                    + " is not served; the current global model is version " + global.version());
        }
        return global;
    }

    /**
     * Checks a site's update and folds it in. Nothing of a refused update reaches the aggregate; every refusal is
     * told to the listener (and so recorded) before it is thrown. A retry of an update already accepted in this
     * round (same site, same SHA-256) returns the original receipt and changes nothing.
     *
     * @return how many updates of this round are in, and how many are expected
     */
    public UploadAccepted submit(String siteId, IncomingUpdate update) {
        // the content checks touch no round state and run here, in parallel; their verdict is applied after the
        // state's checks, so that an upload wrong in both ways gets the same refusal as if all ran in order
        UploadValidator.Verdict verdict = validator.check(update);
        return change(() -> {
            try {
                return admit(siteId, update, verdict);
            } catch (FederationException e) {
                refused(siteId, update.round(), e);
                throw e;
            }
        });
    }

    private UploadAccepted admit(String siteId, IncomingUpdate update, UploadValidator.Verdict verdict) {
        requireParticipantOfOpenRound(siteId, update.round());
        if (update.masked() != secure.active()) {
            throw UpdateRefusal.MALFORMED.because(secure.active() ? "round " + state.round + " is securely "
                    + "aggregated: the coordinator takes only masked uploads (UpdateHeader.secure_aggregation), never"
                    + " a site's plain delta" : "round " + state.round + " is not securely aggregated; send the "
                    + "delta itself, not a masked one");
        }
        if (isResend(siteId, update, verdict.ok(), update.masked() ? "masked update" : "update")) {
            return receipt();
        }
        if (update.masked()) {
            secure.requireScale(siteId, update);
        }
        if (!verdict.ok()) {
            throw verdict.refusal();
        }
        if (update.masked()) {
            secure.masked(siteId, update, verdict.maskedValues());
        } else {
            state.aggregation.acceptWire(update.tensors(), verdict.float32Bytes(), update.trainingBags());
        }
        state.weightedLossSum += update.trainLoss() * update.trainingBags();
        state.roundBags += update.trainingBags();
        state.submitted.put(siteId, update.declaredSha256().clone());
        UploadAccepted accepted = receipt();
        Runnable note = null;
        if (update.masked()) {
            note = secure.closeStepIfComplete();
        } else if (state.submitted.size() == state.participants.size()) {
            fire(Event.UPDATES_IN);
        }
        boolean closeNow = state.phase == Phase.AGGREGATING;
        // the norm of a masked delta is unknown to the coordinator by design: recorded as NaN ("masked")
        listener.updateAccepted(new AcceptedUpdate(siteId, accepted.round(), Sha256.hex(update.declaredSha256()),
                update.trainingBags(), update.trainLoss(), verdict.norm(), update.signed()));
        if (closeNow || update.masked()) {
            listener.stateChanged(state.runState());
        } else {
            // only the open round's list of accepted updates changed, which a restart does not read back
            listener.stateChangedByUpdate(state.runState());
        }
        tell(note);
        if (closeNow) {
            closeRound();
        }
        return accepted;
    }

    private UploadAccepted receipt() {
        return new UploadAccepted(state.round, state.submitted.size(), state.participants.size());
    }

    /** The receipt of this site's update with this SHA-256 if it was accepted in the open round {@code r}. */
    public Optional<UploadAccepted> accepted(String siteId, int r, byte[] sha256) {
        return events.ask(() -> {
            byte[] earlier = state.submitted.get(siteId);
            if (r != state.round || earlier == null || !MessageDigest.isEqual(earlier, sha256)) {
                return Optional.<UploadAccepted>empty();
            }
            return Optional.of(receipt());
        });
    }

    /**
     * Refuses, as {@link #submit} would, an upload that cannot count whatever its content: from a site that has not
     * joined, for a round that is not open, or from a site that is not one of its participants. The service asks
     * before it stores any byte of an upload.
     */
    public void requireUploadable(String siteId, int updateRound) {
        events.ask(() -> {
            requireParticipantOfOpenRound(siteId, updateRound);
            if (secure.active()) {
                secure.requireMaskStep(siteId);
            }
        });
    }

    /** Records a refusal decided outside this class (e.g. a truncated stream), if it is an upload refusal. */
    public void refused(String siteId, int updateRound, FederationException e) {
        if (e.refusal() != null) {
            events.ask(() -> listener.updateRefused(siteId, updateRound, e.refusal(), e.getMessage()));
        }
    }

    /**
     * Whether {@code update} is the one {@code siteId} already sent this round, again (the site did not get our
     * receipt and resent the same bytes), to be answered as before. A different second update is refused, as is an
     * update trained from another model than the round's.
     */
    private boolean isResend(String siteId, IncomingUpdate update, boolean contentOk, String kind) {
        byte[] earlier = state.submitted.get(siteId);
        if (earlier != null) {
            if (contentOk && MessageDigest.isEqual(earlier, update.declaredSha256())) {
                return true;
            }
            throw UpdateRefusal.DUPLICATE.because("site '" + siteId + "' already submitted " + kind + " "
                    + Sha256.shortHex(earlier) + " for round " + state.round
                    + "; one update per site and round, a retry must resend the same bytes");
        }
        if (update.baseModelVersion() != state.global.version()) {
            throw UpdateRefusal.STALE_BASE_MODEL.because("update was trained from model version "
                    + update.baseModelVersion() + " but round " + state.round + " trains from version "
                    + state.global.version() + "; ask for the next task and train from that model");
        }
        return false;
    }

    private void requireParticipantOfOpenRound(String siteId, int updateRound) {
        state.requireJoined(siteId);
        int round = state.round;
        String phase = state.phase.name().toLowerCase();
        if (state.phase != Phase.TRAINING || updateRound != round) {
            throw UpdateRefusal.ROUND_CLOSED.because(updateRound < round || updateRound == round
                    ? "round " + updateRound + " is closed (the coordinator is at round " + round + ", " + phase
                    + "); the update came too late and was not counted. Ask for the next task: the site takes part"
                    + " in the next round"
                    : "round " + updateRound + " is not open for updates (current round " + round + ", " + phase
                    + "); ask for the next task");
        }
        if (!state.participants.contains(siteId)) {
            throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId
                    + "' is not a participant of round " + round + "; it takes part from the next round");
        }
    }

    /** The float32 size of an update of round {@code r}: the encoder's alone in pretraining rounds. */
    public long expectedUpdateBytes(int r) {
        return TensorCodec.byteSize(validator.expectedSpecs(r));
    }

    public void reportEvaluation(String siteId, SiteEvaluation evaluation) {
        change(() -> {
            state.requireJoined(siteId);
            if (state.phase != Phase.SITE_EVALUATION || evaluation.modelVersion() != state.global.version()) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "no evaluation of model version "
                        + evaluation.modelVersion() + " was asked for");
            }
            if (!state.evaluated.add(siteId)) {
                throw new FederationException(Status.Code.ALREADY_EXISTS, "site '" + siteId
                        + "' already reported its evaluation");
            }
            listener.siteEvaluated(siteId, evaluation);
            if (state.evaluated.containsAll(state.sites.keySet())) {
                finish("all " + plan.rounds() + " rounds done");
            }
            return null;
        });
    }

    /** Secure aggregation step 0: a site's public keys for the open round. */
    public void secAggAdvertise(String siteId, int r, KeyAdvertisement keys) {
        secureAnswer(siteId, r, sr -> sr.advertised(siteId, keys));
    }

    /** Step 1: a site's encrypted shares for the other sites. */
    public void secAggShare(String siteId, int r, ShareBundle shares) {
        secureAnswer(siteId, r, sr -> sr.shared(siteId, shares));
    }

    /** Step 3: a survivor's shares that unmask the sum. */
    public void secAggUnmask(String siteId, int r, UnmaskResponse shares) {
        secureAnswer(siteId, r, sr -> sr.unmasked(siteId, shares));
    }

    private void secureAnswer(String siteId, int r, java.util.function.Consumer<SecureRound> answer) {
        change(() -> afterStep(secure.answer(siteId, r, answer)));
    }

    /** After a secure step's answer or deadline: records the state, tells what ended, closes the round if due. */
    private Void afterStep(Runnable note) {
        boolean closeNow = state.phase == Phase.AGGREGATING;
        listener.stateChanged(state.runState());
        tell(note);
        if (closeNow) {
            closeRound();
        }
        return null;
    }

    private static void tell(Runnable note) {
        if (note != null) {
            note.run();
        }
    }

    /** Hands the round's aggregation and evaluation to the closing thread; its outcome comes back as an event. */
    void closeRound() {
        int round = state.round;
        long t0 = state.roundStartNanos;
        GlobalModel global = state.global;
        SecureRound sr = secure.current();
        RoundAggregation aggregation = state.aggregation;
        List<String> roundSites = List.copyOf(new TreeSet<>(state.submitted.keySet()));
        long bags = state.roundBags;
        double loss = state.weightedLossSum / bags;
        CompletableFuture<Void> done = new CompletableFuture<>();
        closing = done;
        try {
            closer.execute(() -> {
                Runnable outcome = closed(round, t0, global, sr, aggregation, roundSites, bags, loss);
                events.post(() -> {
                    try {
                        outcome.run();
                        publish();
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
    private Runnable closed(int round, long t0, GlobalModel global, SecureRound sr, RoundAggregation aggregation,
                            List<String> roundSites, long bags, double loss) {
        try {
            long tAggregate = System.nanoTime(); // unmasking is part of aggregating a secure round
            if (sr != null) {
                try {
                    SecureAggregationDriver.foldSum(sr, aggregation);
                } catch (SecAggException e) {
                    return () -> afterStep(secure.unmaskFailed(sr, e.getMessage()));
                }
            }
            TensorSet weights = aggregation.applyTo(global.weights());
            GlobalModel next = GlobalModel.of(global.version() + 1, global.spec(), weights);
            long tEvaluate = System.nanoTime();
            BinaryMetrics metrics = heldOut.evaluate(weights);
            RoundResult result = new RoundResult(round, next.version(), Sha256.hex(next.sha256()), roundSites, bags,
                    loss, metrics, seconds(t0));
            double aggregateSeconds = (tEvaluate - tAggregate) / 1e9;
            double evaluateSeconds = (System.nanoTime() - tEvaluate) / 1e9;
            return () -> roundClosed(result, next, aggregateSeconds, evaluateSeconds);
        } catch (RuntimeException e) {
            return () -> roundFailed(round, e);
        }
    }

    private void roundClosed(RoundResult result, GlobalModel next, double aggregateSeconds, double evaluateSeconds) {
        long tRecord = System.nanoTime();
        try {
            listener.roundCompleted(result, next);
        } catch (RuntimeException e) {
            roundFailed(result.round(), e);
            return;
        }
        closeTimings.add(new RoundCloseTiming(result.round(), aggregateSeconds, evaluateSeconds,
                (System.nanoTime() - tRecord) / 1e9));
        state.global = next;
        state.history.add(result);
        nextRoundOrEnd(state.round + 1);
        listener.stateChanged(state.runState());
        if (!plan.siteEvaluation() && result.round() == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    private void roundFailed(int round, RuntimeException e) {
        log.error("round {} could not be closed; the federation stops so that no unevaluated model is served", round,
                e);
        finish("round " + round + " failed: " + e.getMessage());
    }

    /**
     * The deadline of round {@code r}, attempt {@code a}, passed: aggregates what is in if it is at least
     * min_updates, otherwise retries or skips the round. Does nothing if that round (and attempt) is already over.
     * Returns once the event and the round's close it started are done.
     */
    void deadlinePassed(int r, int a) {
        awaitClose(change(() -> {
            onDeadline(r, a);
            return closing;
        }));
    }

    /** The deadline of a secure-aggregation step passed; returns once the event and any close it started are done. */
    void secureDeadlinePassed(int r, int a, SecureRound.Step step) {
        awaitClose(change(() -> {
            afterStep(secure.deadlinePassed(r, a, step));
            return closing;
        }));
    }

    private void onDeadline(int r, int a) {
        if (state.phase != Phase.TRAINING || state.round != r || state.attempt != a) {
            return;
        }
        if (state.paused) {
            // a paused round's deadline waits for the resume: sites were told to wait, not to give up
            atDeadline(() -> onDeadline(r, a));
            return;
        }
        if (secure.active()) {
            // the round's first deadline is that of its first secure-aggregation step
            atDeadline(() -> afterStep(secure.deadlinePassed(r, a, SecureRound.Step.ADVERTISE)));
            return;
        }
        int updates = state.submitted.size();
        if (updates >= rules.minUpdates() && updates > 0) {
            log.info("round {} reached its deadline with {} of {} updates; aggregating those, the others are "
                    + "stragglers and take part from round {}", r, updates, state.participants.size(), r + 1);
            fire(Event.UPDATES_IN);
            afterStep(null);
            return;
        }
        boolean retried = rules.onShortRound() == RoundRules.ShortRound.RETRY;
        retryOrSkip(r, a, retried);
        listener.stateChanged(state.runState());
        log.warn("round {} (attempt {}) reached its deadline with {} of the {} updates it needs; it is {}", r, a,
                updates, rules.minUpdates(), retried ? "run again" : "skipped");
        listener.roundShort(r, a, updates, rules.minUpdates(), retried);
        if (!retried && !plan.siteEvaluation() && r == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    private static void awaitClose(CompletableFuture<Void> close) {
        try {
            close.get(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the round's close did not end", e);
        }
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
        if (r <= plan.rounds() && state.paused) {
            state.round = r - 1; // the round opens when the operator resumes
            fire(Event.HELD);
        } else if (r <= plan.rounds()) {
            startRound(r, 1);
        } else {
            state.round = plan.rounds();
            if (plan.siteEvaluation()) {
                fire(Event.ROUNDS_DONE);
                // a site that died for good must not keep the federation from finishing
                atDeadline(() -> finish("all " + plan.rounds() + " rounds done; the site evaluation deadline "
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
        state.aggregation = RoundAggregation.open(plan.isPretrainingRound(r), specs, aggregatorFactory,
                pretrainingFactory);
        try {
            secure.open(r);
        } catch (SecAggException e) {
            // no fixed point fits this round's K, bag counts and bound: the federation stops, saying which
            log.error("round {} cannot be securely aggregated: {}", r, e.getMessage());
            finish("round " + r + " cannot be securely aggregated: " + e.getMessage());
            return;
        }
        fire(Event.ROUND_OPENED);
        state.roundStartNanos = System.nanoTime();
        int n = state.participants.size();
        // told after the event that opened it, so that a short attempt is told before its retry starts
        events.post(() -> listener.roundStarted(r, n));
        if (secure.active()) {
            atDeadline(() -> afterStep(secure.deadlinePassed(r, a, SecureRound.Step.ADVERTISE)));
        } else {
            atDeadline(() -> onDeadline(r, a));
        }
    }

    /** Runs {@code event} on the event thread once the round deadline has passed from now (none: never). */
    void atDeadline(Runnable event) {
        if (rules.deadlineMillis() > 0) {
            events.postAfter(rules.deadlineMillis(), () -> {
                event.run();
                publish();
            });
        }
    }

    /** Changes the phase as the phase table says. */
    void fire(Event event) {
        state.phase = PhaseTable.next(state.phase, event);
    }

    /** Ends the federation, once: a finish after the first changes nothing. Event thread only. */
    void finish(String reason) {
        if (state.phase == Phase.FINISHED) {
            return;
        }
        // recorded before anyone can see the federation finished (a site told to stop, awaitFinished returning),
        // so that whoever reads the round log after that finds the federation_finished record in it
        listener.finished(reason);
        fire(Event.FINISH);
        state.finishReason = reason;
        secure.clear();
        publish();
        listener.stateChanged(state.runState());
    }

    /** Runs {@code event} on the event thread, then publishes the view it leaves. */
    private <T> T change(Callable<T> event) {
        return events.ask(() -> {
            try {
                return event.call();
            } finally {
                publish();
            }
        });
    }

    private void publish() {
        published.publish(state.view());
    }

    /** A site leaves: it is no longer joined, and the open round stops waiting for its update. It may join again. */
    public void leave(String siteId, String reason) {
        change(() -> {
            controls.leave(siteId, reason);
            return null;
        });
    }

    /**
     * The operator pauses the federation: no new round starts and no train task is handed out (sites get WAIT
     * {@value #PAUSED_REASON}); uploads of train tasks already handed out are still accepted, and a round whose
     * updates are all in is aggregated. The open round's deadline waits for {@link #resume()}.
     *
     * @return false when it was already paused or the federation has finished
     */
    public boolean pause() {
        return change(controls::pause);
    }

    /** Undoes {@link #pause()}: the round due opens now if enough sites are joined. */
    public boolean resume() {
        return change(controls::resume);
    }

    /** Ends the federation now; sites are told to stop at their next poll. */
    public void abort(String reason) {
        try {
            change(() -> {
                controls.abort(reason);
                return null;
            });
        } catch (FederationException closed) {
            log.debug("abort after the run was closed: nothing left to abort", closed);
        }
    }

    /** The federation as of its latest change; every read view below is a part of it. */
    public RunView view() {
        return published.get();
    }

    public boolean paused() {
        return view().paused();
    }

    public boolean isJoined(String siteId) {
        return view().isJoined(siteId);
    }

    public List<SiteView> siteViews() {
        return view().sites();
    }

    public Phase phase() {
        return view().phase();
    }

    public List<String> joinedSites() {
        return view().joinedSites();
    }

    public int updatesReceived() {
        return view().updatesReceived();
    }

    public List<Integer> skippedRounds() {
        return view().skipped();
    }

    public int currentRound() {
        return view().round();
    }

    public GlobalModel currentModel() {
        return view().model();
    }

    public List<RoundResult> history() {
        return view().history();
    }

    public FederationPlan plan() {
        return plan;
    }

    /** How long closing each round took, by part, in the order the rounds closed. */
    public List<RoundCloseTiming> closeTimings() {
        return List.copyOf(closeTimings);
    }

    /** Blocks until the federation has finished and every joined site was told to stop, or the timeout passes. */
    public boolean awaitSitesStopped(Duration timeout) throws InterruptedException {
        return published.await(RunView::sitesStopped, timeout);
    }

    /** Blocks until the global model has reached the given version, or the timeout passes. */
    public boolean awaitModelVersion(long version, Duration timeout) throws InterruptedException {
        return published.await(v -> v.model().version() >= version, timeout);
    }

    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return published.await(v -> v.phase() == Phase.FINISHED, timeout);
    }

    @Override
    public void close() throws InterruptedException {
        closer.shutdown();
        events.close();
        if (!closer.awaitTermination(30, TimeUnit.SECONDS)) {
            closer.shutdownNow();
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
