package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.round.PhaseTable.Event;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.ShareBundle;
import org.fedmil.secagg.UnmaskResponse;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's rounds as a state machine without a network: sites join, round r sends every joined site a train
 * task from global model r−1, each site's delta is checked and folded into the round's aggregate as it arrives, and
 * once every participant has reported (or the round's deadline passed with at least min_updates in) the new global
 * model is made; round r+1 starts from it while it is saved and evaluated on the held-out set, and round r+1 cannot
 * close, be skipped or end the federation before round r is recorded ({@link RoundCloser}). A round short of min_updates at
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
    private final Resume resume;
    private final HeldOutEvaluation heldOut;
    private final RoundListener listener;
    private final EventLoop events = new EventLoop();
    private final RoundState state;
    private final PublishedView published;
    private final UploadValidator validator;
    private final SecureAggregationDriver secure;
    private final OperatorControls controls;
    private final UploadAdmission admission;
    private final RoundCloser closer;
    private final NextTasks tasks;
    private final RoundDeadline deadline;
    private final Rejoins rejoins = new Rejoins();
    /** Which round runs next; package-private for the parts that end a round. */
    final RoundSequence sequence;

    public FederationRun(FederationPlan plan, GlobalModel initial, HeldOutEvaluation heldOut,
                         Strategy strategy, RoundListener listener) {
        this(plan, initial, null, heldOut, strategy, listener);
    }

    /** @param resume where a restarted coordinator takes up, or null for a new federation from {@code initial} */
    public FederationRun(FederationPlan plan, GlobalModel initial, Resume resume, HeldOutEvaluation heldOut,
                         Strategy strategy, RoundListener listener) {
        this(plan, initial, resume, heldOut, strategy, new FedAvg(), listener);
    }

    /**
     * @param strategy    what aggregates the supervised rounds
     * @param pretraining what aggregates the encoder deltas of pretraining rounds (a strategy of its own, so that a
     *                    server optimiser's state is never fed the contrastive steps)
     */
    public FederationRun(FederationPlan plan, GlobalModel initial, Resume resume, HeldOutEvaluation heldOut,
                         Strategy strategy, Strategy pretraining, RoundListener listener) {
        this.plan = plan;
        this.resume = resume;
        this.heldOut = heldOut;
        this.listener = listener;
        this.state = new RoundState(plan.federationId(), resume == null ? initial : resume.model(), plan.rounds());
        List<TensorSpec> specs = List.copyOf(state.global.weights().specs());
        this.validator = new UploadValidator(plan, specs);
        this.secure = new SecureAggregationDriver(this, state, plan, listener);
        this.controls = new OperatorControls(this, state, secure, plan, listener);
        this.admission = new UploadAdmission(this, state, secure, plan, listener);
        this.closer = new RoundCloser(this, state, secure, events, heldOut, plan, listener);
        this.tasks = new NextTasks(state, secure, plan);
        this.deadline = new RoundDeadline(this, state, secure, plan, listener);
        this.sequence = new RoundSequence(this, state, plan, specs, strategy, pretraining, secure,
                deadline, events, listener);
        this.published = new PublishedView(state.view());
    }

    /**
     * Evaluates and reports the initial model as round 0; call once before sites are admitted. A resumed run
     * reports nothing again: it takes up its history and waits for sites to re-join.
     */
    public RoundResult start() {
        if (resume != null) {
            if (resume.finished()) {
                log.warn("federation '{}' has finished ({}); its coordinator admits no site", plan.federationId(),
                        resume.finishReason());
            } else {
                log.info("resuming federation '{}': {} rounds completed, {} skipped, global model v{}; round {} runs "
                        + "next", plan.federationId(), resume.completed().size() - 1, resume.skipped().size(),
                        resume.model().version(), resume.nextRound());
            }
            return change(() -> {
                state.takeUp(resume, plan.earlyStopping());
                listener.stateChanged(state.runState());
                return resume.completed().get(resume.completed().size() - 1);
            });
        }
        long t0 = System.nanoTime();
        GlobalModel initial = published.get().model();
        HeldOutReport report = heldOut.report(initial.weights(), false);
        RoundResult r0 = new RoundResult(0, initial.version(), Sha256.hex(initial.sha256()), List.of(), 0,
                Double.NaN, report.metrics(), seconds(t0), report.aucCi(), report.warnings());
        listener.saveModel(initial);
        return change(() -> {
            state.history.add(r0);
            listener.roundCompleted(r0, initial);
            return r0;
        });
    }

    public String join(String siteId, SiteJoin join) {
        return change(() -> {
            if (state.phase == Phase.FINISHED) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "federation '" + plan.federationId()
                        + "' has finished (" + state.finishReason + "); nothing left to join");
            }
            JoinChecks.admit(siteId, join, plan);
            RoundWeights.requireCountable(siteId, join, state.sites);
            if (join.checkOnly()) {
                return plan.federationId(); // `fedmil site check`: it would be admitted; nothing changes
            }
            if (rejoins.unchanged(siteId, join, state.sites.get(siteId), state.round)) {
                return plan.federationId(); // joined already as it says: nothing to record again
            }
            state.sites.put(siteId, join);
            state.departed.remove(siteId);
            state.known.add(siteId);
            state.joinedBeforeRestart.remove(siteId);
            listener.siteJoined(siteId, join, state.sites.size(), plan.minSites());
            if (state.phase == Phase.WAITING_FOR_SITES && state.sites.size() >= plan.minSites() && !state.paused) {
                sequence.nextRoundOrEnd(state.round + 1);
            }
            // the sites joined are on disk too: a restart tells them to re-join rather than count their calls
            listener.stateChanged(state.runState());
            if (!plan.siteEvaluation() && state.phase == Phase.WAITING_FOR_SITES && state.round >= state.lastRound) {
                finish(state.roundsDone()); // a resumed run that had nothing left but its end
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
        Task task = tasks.taskFor(siteId);
        if (task instanceof Task.Stop && state.stopped.add(siteId)) {
            publish();
        }
        return new Decision(task, published.get().seq());
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
                return admission.admit(siteId, update, verdict);
            } catch (FederationException e) {
                refused(siteId, update.round(), e);
                throw e;
            }
        });
    }

    /** The receipt of this site's update with this SHA-256 if it was accepted in the open round {@code r}. */
    public Optional<UploadAccepted> accepted(String siteId, int r, byte[] sha256) {
        return events.ask(() -> admission.receiptOf(siteId, r, sha256));
    }

    /**
     * Refuses, as {@link #submit} would, an upload that cannot count whatever its content: from a site that has not
     * joined, for a round that is not open, or from a site that is not one of its participants. The service asks
     * before it stores any byte of an upload.
     */
    public void requireUploadable(String siteId, int updateRound) {
        events.ask(() -> admission.requireUploadable(siteId, updateRound));
    }

    /**
     * Refuses, as {@link #submit} would, an upload whose claimed bags (its FedAvg weight) exceed what the site
     * declared when it joined; asked before any byte of the upload is stored.
     */
    public void requireClaimable(String siteId, int updateRound, long claimedBags) {
        events.ask(() -> admission.requireClaimable(siteId, updateRound, claimedBags));
    }

    /** Refuses a site that has not joined (NOT_JOINED), as every call but Join and CheckJoin must. */
    public void requireJoined(String siteId) {
        events.ask(() -> state.requireJoined(siteId));
    }

    /** Records a refusal decided outside this class (e.g. a truncated stream), if it is an upload refusal. */
    public void refused(String siteId, int updateRound, FederationException e) {
        if (e.refusal() != null) {
            events.ask(() -> listener.updateRefused(siteId, updateRound, e.refusal(), e.getMessage()));
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
            state.finalValidation.add(evaluation.validation());
            listener.siteEvaluated(siteId, evaluation);
            if (state.evaluated.containsAll(state.sites.keySet())) {
                finish(state.roundsDone());
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

    /** The consistency round: a survivor's signature over the survivor set it was told. */
    public void secAggSignSurvivors(String siteId, int r, org.fedmil.secagg.SurvivorSetSignature signature) {
        secureAnswer(siteId, r, sr -> sr.signed(siteId, signature));
    }

    /** Step 3: a survivor's shares that unmask the sum. */
    public void secAggUnmask(String siteId, int r, UnmaskResponse shares) {
        secureAnswer(siteId, r, sr -> sr.unmasked(siteId, shares));
    }

    private void secureAnswer(String siteId, int r, java.util.function.Consumer<SecureRound> answer) {
        change(() -> afterStep(secure.answer(siteId, r, answer)));
    }

    /** After a secure step's answer or deadline: records the state, tells what ended, closes the round if due. */
    Void afterStep(Runnable note) {
        boolean closeNow = state.phase == Phase.AGGREGATING;
        listener.stateChanged(state.runState());
        if (note != null) {
            note.run();
        }
        if (closeNow) {
            closer.closeOpenRound();
        }
        return null;
    }

    void closeRound() {
        closer.closeOpenRound();
    }

    /**
     * The deadline of round {@code r}, attempt {@code a}, passed: aggregates what is in if it is at least
     * min_updates, otherwise retries or skips the round. Does nothing if that round (and attempt) is already over.
     * Returns once the event and the round's close it started are done.
     */
    void deadlinePassed(int r, int a) {
        RoundCloser.await(change(() -> closer.whenRecorded(() -> deadline.passed(r, a))));
        RoundCloser.await(events.ask(closer::latest));
    }

    /** The deadline of a secure-aggregation step passed; returns once the event and any close it started are done. */
    void secureDeadlinePassed(int r, int a, SecureRound.Step step) {
        RoundCloser.await(change(() -> {
            afterStep(secure.deadlinePassed(r, a, step));
            return closer.latest();
        }));
    }

    /**
     * Runs {@code event} on the event thread once the round deadline has passed from now (none: never); while the
     * previous round is unrecorded, after its record, since a deadline may skip or retry the round or finish.
     */
    void atDeadline(Runnable event) {
        if (plan.rules().deadlineMillis() > 0) {
            events.postAfter(plan.rules().deadlineMillis(), () -> {
                closer.whenRecorded(() -> {
                    event.run();
                    publish();
                });
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
        if (closer.recordPending()) {
            // the last round's record first: a restart must find every round the finished federation served
            closer.whenRecorded(() -> finish(reason));
            return;
        }
        if (state.phase == Phase.SITE_EVALUATION) {
            // no round follows the final model to carry its validation: the sites' evaluation reports do
            state.finalValidation.of(state.round, state.global.version()).ifPresent(listener::finalModelValidated);
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

    void publish() {
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

    /** Every site that has joined this federation, also before a coordinator restart, departed or not. */
    public List<String> knownSites() {
        return events.ask(() -> List.copyOf(state.known));
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
        return closer.timings();
    }

    /** Blocks until the federation has finished and every joined site was told to stop, or the timeout passes. */
    public boolean awaitSitesStopped(Duration timeout) throws InterruptedException {
        return published.await(RunView::sitesStopped, timeout);
    }

    /**
     * Blocks until the global model has reached the given version and its round is recorded (the model saved and
     * evaluated, the round in the history), or the timeout passes.
     */
    public boolean awaitModelVersion(long version, Duration timeout) throws InterruptedException {
        return published.await(v -> v.model().version() >= version && !v.history().isEmpty()
                && v.history().get(v.history().size() - 1).modelVersion() >= version, timeout);
    }

    /**
     * Blocks until the global model served has reached the given version, or the timeout passes. A round aggregated
     * in the clear serves its model before the model is saved and its round recorded ({@link #awaitModelVersion}).
     */
    public boolean awaitModelServed(long version, Duration timeout) throws InterruptedException {
        return published.await(v -> v.model().version() >= version, timeout);
    }

    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return published.await(v -> v.phase() == Phase.FINISHED, timeout);
    }

    @Override
    public void close() throws InterruptedException {
        // the close under way first, while the event thread still takes its record in: a coordinator stopped in
        // the window between serving a model and recording it records it rather than leave the round to run again
        closer.shutdown();
        events.close();
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
