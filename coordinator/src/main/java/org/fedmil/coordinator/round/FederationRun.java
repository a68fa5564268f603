package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.SecAggResult;
import org.fedmil.secagg.ShareBundle;
import org.fedmil.secagg.UnmaskResponse;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's rounds, as plain logic without a network: sites join, round r sends every joined site a
 * train task from global model r−1, each site's delta is checked and folded into the round's aggregator as it
 * arrives, and once every participant has reported (or the round's deadline passed with at least min_updates
 * in) the new global model is made, evaluated on the held-out set and saved before round r+1 starts. A round
 * short of min_updates at its deadline is retried or skipped, never aggregated. After the last round every site
 * evaluates the final model on its own bags and is then told to stop.
 *
 * <p>A run can {@link Resume resume} from a restarted coordinator's state folder: the round that was open at
 * the crash runs again from the last completed round's model.
 *
 * <p>Thread-safe. Calls from sites never wait on aggregation or evaluation: those run on one round-closing
 * thread, which is also the only thread that tells the {@link RoundListener}.
 */
public final class FederationRun implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FederationRun.class);

    /** How long a waiting site is told to wait before it asks again, when it asked not to be held. */
    static final int RETRY_AFTER_MS = 500;

    public enum Phase { WAITING_FOR_SITES, TRAINING, AGGREGATING, SITE_EVALUATION, FINISHED }

    private final FederationPlan plan;
    private final HeldOutEvaluation heldOut;
    private final Strategy strategy;
    /** Pretraining rounds' strategy, whatever the federation's (see {@link #startRound}). */
    private final Strategy pretrainingStrategy = new FedAvg();
    private final RoundListener listener;
    private final RoundRules rules;
    private final List<TensorSpec> specs;
    private final Resume resume;
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "round-deadline");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "round-closer");
        t.setDaemon(true);
        return t;
    });

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Told of every change after the waiters in this class; must only note it (they run under the lock). */
    private final List<Runnable> changeHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

    // Everything below is guarded by lock.
    private final Map<String, SiteJoin> sites = new LinkedHashMap<>();
    private final Set<String> participants = new LinkedHashSet<>();
    /** Accepted updates of the open round: site → delta SHA-256, for idempotent retries. */
    private final Map<String, byte[]> submitted = new LinkedHashMap<>();
    private final Set<String> evaluated = new LinkedHashSet<>();
    private final Set<String> stopped = new LinkedHashSet<>();
    private final List<RoundResult> history = new ArrayList<>();
    private final List<Integer> skipped = new ArrayList<>();
    private Phase phase = Phase.WAITING_FOR_SITES;
    private GlobalModel global;
    private int round;
    private int attempt;
    private long stateSeq;
    private Strategy aggregator;
    private final List<RoundCloseTiming> closeTimings = new java.util.concurrent.CopyOnWriteArrayList<>();
    private double weightedLossSum;
    private long roundBags;
    private long roundStartNanos;
    private String finishReason;
    /** Set by the operator: no round starts and no train task is handed out until {@link #resume()}. */
    private boolean paused;
    /** Sites that left (or were revoked) and have not joined again. */
    private final Set<String> departed = new LinkedHashSet<>();
    /** The open round's secure aggregation (docs/secure-aggregation.md); null when the federation does not ask for it. */
    private SecureRound secure;

    /** What the operator sees of one site. */
    public record SiteView(String siteId, String state, int updatesAccepted) {
    }

    /** Site text for {@link Task.Wait} while paused. */
    public static final String PAUSED_REASON = "paused by the operator";

    public FederationRun(FederationPlan plan, GlobalModel initial, HeldOutEvaluation heldOut,
                         Strategy strategy, RoundListener listener) {
        this(plan, initial, null, heldOut, strategy, listener);
    }

    /** @param resume where a restarted coordinator takes up, or null for a new federation from {@code initial} */
    public FederationRun(FederationPlan plan, GlobalModel initial, Resume resume, HeldOutEvaluation heldOut,
                         Strategy strategy, RoundListener listener) {
        this.plan = plan;
        this.rules = plan.rules();
        this.resume = resume;
        this.global = resume == null ? initial : resume.model();
        this.specs = List.copyOf(global.weights().specs());
        this.heldOut = heldOut;
        this.strategy = strategy;
        this.listener = listener;
    }

    /**
     * Evaluates and reports the initial model as round 0; call once before sites are admitted. A resumed run
     * reports nothing again: it takes up its history and waits for sites to re-join.
     */
    public RoundResult start() {
        if (resume != null) {
            RunState state;
            lock.lock();
            try {
                history.addAll(resume.completed());
                skipped.addAll(resume.skipped());
                round = resume.nextRound() - 1;
                state = snapshot();
            } finally {
                lock.unlock();
            }
            log.info("resuming federation '{}': {} rounds completed, {} skipped, global model v{}; round {} runs next",
                    plan.federationId(), resume.completed().size() - 1, resume.skipped().size(), global.version(),
                    round + 1);
            listener.stateChanged(state);
            return resume.completed().get(resume.completed().size() - 1);
        }
        long t0 = System.nanoTime();
        BinaryMetrics metrics = heldOut.evaluate(global.weights());
        RoundResult r0 = new RoundResult(0, global.version(), Sha256.hex(global.sha256()), List.of(), 0, Double.NaN,
                metrics, seconds(t0));
        lock.lock();
        try {
            history.add(r0);
        } finally {
            lock.unlock();
        }
        listener.roundCompleted(r0, global);
        return r0;
    }

    public String join(String siteId, SiteJoin join) {
        int joined;
        lock.lock();
        try {
            if (phase == Phase.FINISHED) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION,
                        "federation '" + plan.federationId() + "' has finished; nothing left to join");
            }
            sites.put(siteId, join);
            departed.remove(siteId);
            joined = sites.size();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.siteJoined(siteId, join, joined, plan.minSites());
        RunState state = null;
        lock.lock();
        try {
            if (phase == Phase.WAITING_FOR_SITES && sites.size() >= plan.minSites() && !paused) {
                nextRoundOrEnd(round + 1);
                state = snapshot();
            }
        } finally {
            lock.unlock();
        }
        if (state != null) {
            listener.stateChanged(state);
        }
        if (finishedAfterResume()) {
            closer.execute(() -> finish("all " + plan.rounds() + " rounds done"));
        }
        return plan.federationId();
    }

    /**
     * Calls {@code hook} after every change of the run's state (a site joined, an update arrived, a round opened
     * or closed, …). The hook runs while the run's lock is held, so it must only take note (release a permit,
     * unpark a thread) and never call back into the run; the long polls of the gRPC server use it to re-decide
     * held polls without a thread per poll.
     */
    public void onChange(Runnable hook) {
        changeHooks.add(hook);
    }

    private void signalChanged() {
        changed.signalAll();
        for (Runnable hook : changeHooks) {
            hook.run();
        }
    }

    /**
     * The site's next task. A site with nothing to do is held up to {@code maxWait} so that it learns of the next
     * round at once rather than at its next poll.
     */
    public Task nextTask(String siteId, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        lock.lock();
        try {
            while (true) {
                // checked at every wake-up too: a site revoked while its poll is held gets its call ended
                requireJoined(siteId);
                Task task = decide(siteId);
                long left = deadline - System.nanoTime();
                if (!(task instanceof Task.Wait) || left <= 0) {
                    if (task instanceof Task.Stop) {
                        stopped.add(siteId);
                        signalChanged();
                    }
                    return task;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private Task decide(String siteId) {
        if (paused && (phase == Phase.TRAINING || phase == Phase.WAITING_FOR_SITES)) {
            return new Task.Wait(RETRY_AFTER_MS, PAUSED_REASON);
        }
        switch (phase) {
            case FINISHED:
                return new Task.Stop(finishReason);
            case WAITING_FOR_SITES:
                return new Task.Wait(RETRY_AFTER_MS, "waiting for sites to join: " + sites.size() + " of "
                        + plan.minSites() + " needed");
            case TRAINING:
                if (secure != null && participants.contains(siteId)) {
                    Task step = secure.taskFor(siteId, new Task.Train(round, global));
                    return step != null ? step : new Task.Wait(RETRY_AFTER_MS, "round " + round + ": "
                            + secure.waitReason());
                }
                if (participants.contains(siteId) && !submitted.containsKey(siteId)) {
                    return plan.isPretrainingRound(round) ? new Task.Pretrain(round, global)
                            : new Task.Train(round, global);
                }
                if (!participants.contains(siteId)) {
                    return new Task.Wait(RETRY_AFTER_MS, "round " + round + " started before this site joined; it takes part from round " + (round + 1));
                }
                return new Task.Wait(RETRY_AFTER_MS, "round " + round + ": waiting for other sites' updates ("
                        + submitted.size() + " of " + participants.size() + " in)");
            case AGGREGATING:
                return new Task.Wait(RETRY_AFTER_MS, "round " + round + ": aggregating and evaluating");
            case SITE_EVALUATION:
                if (!evaluated.contains(siteId)) {
                    return new Task.Evaluate(global);
                }
                return new Task.Wait(RETRY_AFTER_MS, "waiting for other sites to evaluate the final model");
            default:
                throw new IllegalStateException("unknown phase " + phase);
        }
    }

    public GlobalModel model(long version) {
        lock.lock();
        try {
            if (version != global.version()) {
                throw new FederationException(Status.Code.NOT_FOUND, "model version " + version
                        + " is not served; the current global model is version " + global.version());
            }
            return global;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks a site's update and folds it in. Nothing of a refused update reaches the aggregate; every refusal
     * is told to the listener (and so recorded) before it is thrown. A retry of an update already accepted in
     * this round (same site, same SHA-256) returns the original receipt and changes nothing.
     *
     * @return how many updates of this round are in, and how many are expected
     */
    public UploadAccepted submit(String siteId, IncomingUpdate update) {
        try {
            return update.masked() ? admitMasked(siteId, update) : admit(siteId, update);
        } catch (FederationException e) {
            refused(siteId, update.round(), e);
            throw e;
        }
    }

    /** How long closing each round took, by part, in the order the rounds closed. */
    public List<RoundCloseTiming> closeTimings() {
        return List.copyOf(closeTimings);
    }

    /** The receipt of this site's update with this SHA-256 if it was accepted in the open round {@code r}. */
    public java.util.Optional<UploadAccepted> accepted(String siteId, int r, byte[] sha256) {
        lock.lock();
        try {
            byte[] earlier = submitted.get(siteId);
            if (r != round || earlier == null || !MessageDigest.isEqual(earlier, sha256)) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new UploadAccepted(round, submitted.size(), participants.size()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses, as {@link #submit} would, an upload that cannot count whatever its content: from a site that has
     * not joined, for a round that is not open, or from a site that is not one of its participants. The service
     * asks before it stores any byte of an upload.
     */
    public void requireUploadable(String siteId, int updateRound) {
        lock.lock();
        try {
            requireJoined(siteId);
            if (phase != Phase.TRAINING || updateRound != round) {
                throw UpdateRefusal.ROUND_CLOSED.because(roundClosedReason(updateRound));
            }
            if (!participants.contains(siteId)) {
                throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId
                        + "' is not a participant of round " + round + "; it takes part from the next round");
            }
            if (secure != null) {
                secure.requireMaskStep(siteId);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records a refusal decided outside this class (e.g. a truncated stream), if it is an upload refusal. */
    public void refused(String siteId, int updateRound, FederationException e) {
        if (e.refusal() != null) {
            listener.updateRefused(siteId, updateRound, e.refusal(), e.getMessage());
        }
    }

    /**
     * Under the lock: whether {@code update} is the one {@code siteId} already sent this round, again (the site did
     * not get our receipt, a broken connection, and resent the same bytes), to be answered as before. A different
     * second update is refused, as is an update trained from another model than the round's.
     *
     * @param contentOk whether the update's content passed its checks (a resend must be what was accepted)
     * @param kind      "update" or "masked update", for the refusal
     */
    private boolean isResend(String siteId, IncomingUpdate update, boolean contentOk, String kind) {
        byte[] earlier = submitted.get(siteId);
        if (earlier != null) {
            if (contentOk && MessageDigest.isEqual(earlier, update.declaredSha256())) {
                return true;
            }
            throw UpdateRefusal.DUPLICATE.because("site '" + siteId + "' already submitted " + kind + " "
                    + Sha256.shortHex(earlier) + " for round " + round
                    + "; one update per site and round, a retry must resend the same bytes");
        }
        if (update.baseModelVersion() != global.version()) {
            throw UpdateRefusal.STALE_BASE_MODEL.because("update was trained from model version "
                    + update.baseModelVersion() + " but round " + round + " trains from version "
                    + global.version() + "; ask for the next task and train from that model");
        }
        return false;
    }

    /** Under the lock: the site has joined, {@code updateRound} is the round open for training, and the site is in it. */
    private void requireParticipantOfOpenRound(String siteId, int updateRound) {
        requireJoined(siteId);
        if (phase != Phase.TRAINING || updateRound != round) {
            throw UpdateRefusal.ROUND_CLOSED.because(roundClosedReason(updateRound));
        }
        if (!participants.contains(siteId)) {
            throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId
                    + "' is not a participant of round " + round + "; it takes part from the next round");
        }
    }

    private UploadAccepted admit(String siteId, IncomingUpdate update) {
        // Hashing, decoding and the finiteness and norm scans touch no shared state, so they run before the lock
        // is taken. Their verdict is applied after the state checks, so that a request wrong in both ways gets
        // the same refusal as if everything ran in order under the lock.
        ContentCheck content = inspect(update);
        boolean closeNow;
        UploadAccepted accepted;
        RunState state;
        lock.lock();
        try {
            requireParticipantOfOpenRound(siteId, update.round());
            if (secure != null) {
                throw UpdateRefusal.MALFORMED.because("round " + round + " is securely aggregated: the coordinator "
                        + "takes only masked uploads (UpdateHeader.secure_aggregation), never a site's plain delta");
            }
            if (isResend(siteId, update, content.refusal == null, "update")) {
                return new UploadAccepted(round, submitted.size(), participants.size());
            }
            if (content.refusal != null) {
                throw content.refusal;
            }
            try {
                // folded from the received bytes: a streaming aggregator makes no decoded copy of the update
                aggregator.acceptWire(update.tensors(), content.float32Bytes(), update.trainingBags());
            } catch (Strategy.Refused full) {
                throw UpdateRefusal.AGGREGATOR_FULL.because(full.getMessage());
            }
            weightedLossSum += update.trainLoss() * update.trainingBags();
            roundBags += update.trainingBags();
            submitted.put(siteId, update.declaredSha256().clone());
            accepted = new UploadAccepted(round, submitted.size(), participants.size());
            closeNow = submitted.size() == participants.size();
            if (closeNow) {
                phase = Phase.AGGREGATING;
            }
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.updateAccepted(new AcceptedUpdate(siteId, accepted.round(), Sha256.hex(update.declaredSha256()),
                update.trainingBags(), update.trainLoss(), content.norm, update.signed()));
        if (closeNow) {
            listener.stateChanged(state);
        } else {
            // only the open round's list of accepted updates changed, which a restart does not read back
            listener.stateChangedByUpdate(state);
        }
        if (closeNow) {
            closer.execute(this::closeRound);
        }
        return accepted;
    }

    private String roundClosedReason(int updateRound) {
        if (updateRound < round || (updateRound == round && phase != Phase.TRAINING)) {
            return "round " + updateRound + " is closed (the coordinator is at round " + round + ", "
                    + phase.name().toLowerCase() + "); the update came too late and was not counted. Ask for the "
                    + "next task: the site takes part in the next round";
        }
        return "round " + updateRound + " is not open for updates (current round " + round + ", "
                + phase.name().toLowerCase() + "); ask for the next task";
    }

    /**
     * The verdict on an update's content: its L2 norm and its float32 wire bytes (the received bytes, or the decoded
     * form of a compressed delta), or why it is refused.
     */
    private record ContentCheck(double norm, byte[] float32Bytes, FederationException refusal) {
    }

    private ContentCheck inspect(IncomingUpdate update) {
        try {
            return checkedDelta(update);
        } catch (FederationException e) {
            return new ContentCheck(Double.NaN, null, e);
        }
    }

    private ContentCheck checkedDelta(IncomingUpdate update) {
        if (update.declaredSha256().length != 32) {
            throw UpdateRefusal.SHA256_MISMATCH.because("the update header's delta_sha256 has "
                    + update.declaredSha256().length + " bytes; a SHA-256 has 32");
        }
        byte[] actualSha = Sha256.of(update.bytes());
        if (!MessageDigest.isEqual(update.declaredSha256(), actualSha)) {
            throw UpdateRefusal.SHA256_MISMATCH.because("delta SHA-256 mismatch: the header says "
                    + Sha256.hex(update.declaredSha256()) + " but the received bytes hash to " + Sha256.hex(actualSha)
                    + "; the update was discarded, send it again");
        }
        List<TensorSpec> expected = expectedSpecs(update.round());
        if (!update.tensors().equals(expected)) {
            throw UpdateRefusal.WRONG_TENSORS.because("update tensors do not match the federation's "
                    + (plan.isPretrainingRound(update.round()) ? "encoder (round " + update.round()
                    + " is a pretraining round: only the encoder.* tensors are sent)" : "model") + ": "
                    + firstDifference(expected, update.tensors()));
        }
        if (update.trainingBags() <= 0) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("num_training_bags must be positive, got "
                    + update.trainingBags());
        }
        if (!Double.isFinite(update.trainLoss())) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("train_loss is " + update.trainLoss()
                    + "; local training diverged, the update was refused");
        }
        byte[] bytes;
        if (update.encoding() == DeltaEncoding.FLOAT32) {
            long expectedBytes = TensorCodec.byteSize(update.tensors());
            if (expectedBytes != update.bytes().length) {
                throw UpdateRefusal.WRONG_TENSORS.because("tensor bytes: expected " + expectedBytes + " bytes for "
                        + update.tensors() + " but got " + update.bytes().length);
            }
            bytes = update.bytes();
        } else {
            try {
                // a compressed delta becomes float32 here, so every check below and every strategy see plain values
                bytes = TensorCodec.encode(DeltaCodec.decode(update.tensors(), update.encoding(), update.bytes()));
            } catch (IllegalArgumentException e) {
                throw UpdateRefusal.WRONG_TENSORS.because(e.getMessage());
            }
        }
        // scanned in place, tensor by tensor, rather than decoded: a decoded copy would double the update's heap
        double sumOfSquares = 0;
        int at = 0;
        for (TensorSpec spec : update.tensors()) {
            int end = at + Math.toIntExact(spec.elementCount());
            for (int j = at; j < end; j++) {
                float v = TensorCodec.floatAt(bytes, j);
                if (!Float.isFinite(v)) {
                    throw UpdateRefusal.NON_FINITE.because("tensor '" + spec.name()
                            + "' holds a NaN or infinite value; local training diverged, the update was refused");
                }
                sumOfSquares += (double) v * v;
            }
            at = end;
        }
        double norm = Math.sqrt(sumOfSquares);
        if (norm > rules.maxUpdateL2Norm()) {
            throw UpdateRefusal.NORM_EXCEEDED.because(String.format(java.util.Locale.ROOT,
                    "the delta's L2 norm %.4g exceeds the federation's bound limits.max_update_l2_norm = %.4g; "
                            + "the update was refused (check the site's learning rate and data, or raise the bound)",
                    norm, rules.maxUpdateL2Norm()));
        }
        return new ContentCheck(norm, bytes, null);
    }

    /** The float32 size of an update of round {@code r}: the encoder's alone in pretraining rounds. */
    public long expectedUpdateBytes(int r) {
        return TensorCodec.byteSize(expectedSpecs(r));
    }

    /** The tensors an update of round {@code r} carries: the encoder's alone in pretraining rounds. */
    private List<TensorSpec> expectedSpecs(int r) {
        return plan.isPretrainingRound(r) ? EncoderPart.specs(specs) : specs;
    }

    private static String firstDifference(List<TensorSpec> expected, List<TensorSpec> actual) {
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            TensorSpec e = i < expected.size() ? expected.get(i) : null;
            TensorSpec a = i < actual.size() ? actual.get(i) : null;
            if (e == null) {
                return "unexpected extra tensor " + a;
            }
            if (a == null) {
                return "missing tensor " + e;
            }
            if (!e.equals(a)) {
                return "tensor " + (i + 1) + " is " + a + ", expected " + e;
            }
        }
        return "none";
    }

    public void reportEvaluation(String siteId, SiteEvaluation evaluation) {
        boolean finish;
        lock.lock();
        try {
            requireJoined(siteId);
            if (phase != Phase.SITE_EVALUATION || evaluation.modelVersion() != global.version()) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "no evaluation of model version "
                        + evaluation.modelVersion() + " was asked for");
            }
            if (!evaluated.add(siteId)) {
                throw new FederationException(Status.Code.ALREADY_EXISTS, "site '" + siteId
                        + "' already reported its evaluation");
            }
            finish = evaluated.containsAll(sites.keySet());
            signalChanged();
            // queued under the lock, so that every site's evaluation is recorded before the finish that the last
            // one triggers (two sites reporting at once could otherwise queue the finish first)
            closer.execute(() -> listener.siteEvaluated(siteId, evaluation));
            if (finish) {
                closer.execute(() -> finish("all " + plan.rounds() + " rounds done"));
            }
        } finally {
            lock.unlock();
        }
    }

    // --- secure aggregation (docs/secure-aggregation.md) ---

    /** Step 0: a site's public keys for the open round. */
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
        boolean closeNow;
        SecureShort note = null;
        RunState state;
        lock.lock();
        try {
            requireJoined(siteId);
            if (secure == null || phase != Phase.TRAINING || r != round) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "no secure aggregation of round " + r
                        + " is open (the coordinator is at round " + round + ", " + phase.name().toLowerCase()
                        + "); ask for the next task");
            }
            if (!participants.contains(siteId)) {
                throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId + "' is not a participant of round "
                        + round + "; it takes part from the next round");
            }
            try {
                answer.accept(secure);
            } catch (SecAggException e) {
                throw new FederationException(Status.Code.INVALID_ARGUMENT, e.getMessage());
            }
            if (secure.stepComplete()) {
                note = closeSecureStep();
            }
            closeNow = phase == Phase.AGGREGATING;
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.stateChanged(state);
        tell(note);
        if (closeNow) {
            closer.execute(this::closeRound);
        }
    }

    /**
     * Takes a masked upload: its hash, tensors, size and counts are checked as for a plain delta, but its content
     * cannot be (no finiteness or norm check: the coordinator never sees the delta; the site clamps every coordinate
     * to the round's bound instead).
     */
    private UploadAccepted admitMasked(String siteId, IncomingUpdate update) {
        long[] values = null;
        FederationException refusal = null;
        try {
            values = maskedValues(update);
        } catch (FederationException e) {
            refusal = e;
        }
        boolean closeNow;
        SecureShort note = null;
        UploadAccepted accepted;
        RunState state;
        lock.lock();
        try {
            requireParticipantOfOpenRound(siteId, update.round());
            if (secure == null) {
                throw UpdateRefusal.MALFORMED.because("round " + round + " is not securely aggregated; send the "
                        + "delta itself, not a masked one");
            }
            if (isResend(siteId, update, refusal == null, "masked update")) {
                return new UploadAccepted(round, submitted.size(), participants.size());
            }
            int f = secure.parameters().fractionalBits();
            if (update.fractionalBits() != f) {
                // the same ring values read at another scale would silently shift the sum by a power of two
                throw UpdateRefusal.BAD_HEADER_VALUES.because("masked update of site '" + siteId + "' for round "
                        + round + " says it was encoded with fractional_bits = " + update.fractionalBits()
                        + ", but this round's secure aggregation encodes with f = " + f + " (the parameters of its "
                        + "mask task); nothing of it was taken: re-encode with f = " + f + " from the current task "
                        + "(a site agent of another version, or a mask task of another attempt, would do this)");
            }
            if (refusal != null) {
                throw refusal;
            }
            try {
                secure.masked(siteId, new MaskedInput(siteId, update.trainingBags(), values));
            } catch (SecAggException e) {
                throw UpdateRefusal.BAD_HEADER_VALUES.because(e.getMessage());
            }
            weightedLossSum += update.trainLoss() * update.trainingBags();
            roundBags += update.trainingBags();
            submitted.put(siteId, update.declaredSha256().clone());
            accepted = new UploadAccepted(round, submitted.size(), participants.size());
            if (secure.stepComplete()) {
                note = closeSecureStep();
            }
            closeNow = phase == Phase.AGGREGATING;
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        // the norm of a masked delta is unknown to the coordinator by design: recorded as NaN ("masked")
        listener.updateAccepted(new AcceptedUpdate(siteId, accepted.round(), Sha256.hex(update.declaredSha256()),
                update.trainingBags(), update.trainLoss(), Double.NaN, update.signed()));
        listener.stateChanged(state);
        tell(note);
        if (closeNow) {
            closer.execute(this::closeRound);
        }
        return accepted;
    }

    private long[] maskedValues(IncomingUpdate update) {
        byte[] actualSha = Sha256.of(update.bytes());
        if (!MessageDigest.isEqual(update.declaredSha256(), actualSha)) {
            throw UpdateRefusal.SHA256_MISMATCH.because("masked delta SHA-256 mismatch: the header says "
                    + Sha256.hex(update.declaredSha256()) + " but the received bytes hash to " + Sha256.hex(actualSha)
                    + "; the update was discarded, send it again");
        }
        if (!update.tensors().equals(specs)) {
            throw UpdateRefusal.WRONG_TENSORS.because("update tensors do not match the federation's model: "
                    + firstDifference(specs, update.tensors()));
        }
        long coordinates = global.weights().parameterCount();
        if (update.bytes().length != 8 * coordinates) {
            throw UpdateRefusal.WRONG_TENSORS.because("a masked delta has 8 bytes per coordinate, "
                    + 8 * coordinates + " for this model, but " + update.bytes().length + " arrived");
        }
        if (update.trainingBags() <= 0) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("num_training_bags must be positive, got "
                    + update.trainingBags());
        }
        if (!Double.isFinite(update.trainLoss())) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("train_loss is " + update.trainLoss()
                    + "; local training diverged, the update was refused");
        }
        long[] values = new long[(int) coordinates];
        java.nio.ByteBuffer.wrap(update.bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(values);
        return values;
    }

    /** A secure round that could not go on: told to the listener once the lock is released. */
    private record SecureShort(int round, int attempt, int answers, int needed, boolean retried, String reason) {
    }

    // Caller holds the lock. Closes the open step; returns the abort when fewer than t answered, else null.
    private SecureShort closeSecureStep() {
        int r = round;
        int a = attempt;
        try {
            secure.closeStep();
        } catch (SecAggException e) {
            return abortSecureRound(e.getMessage(), secure.answeredCount());
        }
        if (secure.step() == SecureRound.Step.FINISHING) {
            phase = Phase.AGGREGATING;
        } else if (rules.deadlineMillis() > 0) {
            SecureRound.Step s = secure.step();
            schedule(() -> secureDeadlinePassed(r, a, s));
        }
        signalChanged();
        return null;
    }

    // Caller holds the lock. Nothing of the round is aggregated; it is retried or skipped as a short round is.
    private SecureShort abortSecureRound(String reason, int answers) {
        int r = round;
        int a = attempt;
        int needed = secure.parameters().threshold();
        boolean retried = rules.onShortRound() == RoundRules.ShortRound.RETRY;
        log.warn("round {} (attempt {}): {}; the round is {}", r, a, reason, retried ? "run again" : "skipped");
        secure = null;
        if (retried) {
            startRound(r, a + 1);
        } else {
            skipped.add(r);
            nextRoundOrEnd(r + 1);
        }
        signalChanged();
        return new SecureShort(r, a, answers, needed, retried, reason);
    }

    private void tell(SecureShort note) {
        if (note == null) {
            return;
        }
        listener.roundShort(note.round(), note.attempt(), note.answers(), note.needed(), note.retried());
        if (!note.retried() && !plan.siteEvaluation() && note.round() == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    /** Runs on the closer thread when a secure-aggregation step's deadline passed. */
    void secureDeadlinePassed(int r, int a, SecureRound.Step step) {
        SecureShort note;
        boolean close;
        RunState state;
        lock.lock();
        try {
            if (phase != Phase.TRAINING || round != r || attempt != a || secure == null || secure.step() != step) {
                return;
            }
            if (paused) {
                schedule(() -> secureDeadlinePassed(r, a, step));
                return;
            }
            int needed = secure.parameters().threshold();
            if (step == SecureRound.Step.MASK) {
                needed = Math.max(needed, rules.minUpdates());
            }
            int answers = secure.answeredCount();
            if (answers >= needed) {
                log.info("round {}: secure aggregation step {} reached its deadline with {} answers; going on "
                        + "without the others, whose masks the survivors' shares remove", r,
                        step.name().toLowerCase(), answers);
                note = closeSecureStep();
            } else {
                note = abortSecureRound("secure aggregation step " + step.name().toLowerCase() + " reached its "
                        + "deadline with " + answers + " answers, fewer than the " + needed + " it needs", answers);
            }
            close = phase == Phase.AGGREGATING;
            state = snapshot();
        } finally {
            lock.unlock();
        }
        listener.stateChanged(state);
        tell(note);
        if (close) {
            closeRound();
        }
    }

    /**
     * Rebuilds the secrets, unmasks the sum and hands the aggregator the bag-weighted mean as one update of the
     * round's total bag count (FedAvg, FedProx and FedOpt need only that). False when the unmasking failed: the
     * round was then retried or skipped and nothing aggregated.
     */
    private boolean foldSecureSum(SecureRound sr) {
        SecAggResult result;
        try {
            result = sr.finish();
        } catch (SecAggException e) {
            SecureShort note;
            RunState state;
            lock.lock();
            try {
                if (secure != sr) {
                    return false;
                }
                note = abortSecureRound(e.getMessage(), 0);
                state = snapshot();
            } finally {
                lock.unlock();
            }
            listener.stateChanged(state);
            tell(note);
            return false;
        }
        if (!result.badShares().isEmpty()) {
            log.warn("round {}: sites sent unmasking shares off their owner's polynomial, and were outvoted: {}",
                    result.parameters().round(), result.badShares());
        }
        float[] mean = result.mean();
        List<NamedTensor> tensors = new ArrayList<>(specs.size());
        int at = 0;
        for (TensorSpec spec : specs) {
            int n = Math.toIntExact(spec.elementCount());
            tensors.add(new NamedTensor(spec.name(), spec.shape(), java.util.Arrays.copyOfRange(mean, at, at + n)));
            at += n;
        }
        aggregator.accept(new TensorSet(tensors), result.totalBags());
        log.info("round {}: securely aggregated {} sites ({} dropped after sharing keys), {} bags, fixed point 2^-{}",
                result.parameters().round(), result.survivors().size(), result.dropped().size(), result.totalBags(),
                result.parameters().fractionalBits());
        return true;
    }

    // --- end secure aggregation ---

    // Runs on the closer thread only.
    private void closeRound() {
        long t0 = roundStartNanos;
        GlobalModel next;
        RoundResult result;
        SecureRound sr;
        lock.lock();
        try {
            sr = secure;
        } finally {
            lock.unlock();
        }
        // unmasking is part of aggregating a secure round, and is timed with it
        long tAggregate = System.nanoTime();
        if (sr != null && !foldSecureSum(sr)) {
            return;
        }
        try {
            // a pretraining round averaged encoder deltas only: the rest of the model stays as it was
            TensorSet weights = plan.isPretrainingRound(round)
                    ? EncoderPart.replace(global.weights(), aggregator.finish(EncoderPart.of(global.weights())))
                    : aggregator.finish(global.weights());
            next = GlobalModel.of(global.version() + 1, global.spec(), weights);
            long tEvaluate = System.nanoTime();
            BinaryMetrics metrics = heldOut.evaluate(weights);
            long tRecord = System.nanoTime();
            List<String> roundSites;
            long bags;
            double lossSum;
            lock.lock();
            try {
                roundSites = new ArrayList<>(new TreeSet<>(submitted.keySet()));
                bags = roundBags;
                lossSum = weightedLossSum;
            } finally {
                lock.unlock();
            }
            result = new RoundResult(round, next.version(), Sha256.hex(next.sha256()), roundSites, bags,
                    lossSum / bags, metrics, seconds(t0));
            listener.roundCompleted(result, next);
            closeTimings.add(new RoundCloseTiming(result.round(), (tEvaluate - tAggregate) / 1e9,
                    (tRecord - tEvaluate) / 1e9, (System.nanoTime() - tRecord) / 1e9));
        } catch (RuntimeException e) {
            log.error("round {} could not be closed; the federation stops so that no unevaluated model is served", round, e);
            finish("round " + round + " failed: " + e.getMessage());
            return;
        }
        RunState state;
        lock.lock();
        try {
            global = next;
            history.add(result);
            signalChanged();
            nextRoundOrEnd(round + 1);
            state = snapshot();
        } finally {
            lock.unlock();
        }
        listener.stateChanged(state);
        if (!plan.siteEvaluation() && result.round() == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    /**
     * Runs on the closer thread when a round's deadline has passed: aggregates what is in if it is at least
     * min_updates, otherwise retries or skips the round. Does nothing if that round (and attempt) is already over.
     */
    void deadlinePassed(int r, int a) {
        boolean close = false;
        boolean retried = false;
        int updates;
        RunState state;
        lock.lock();
        try {
            if (phase != Phase.TRAINING || round != r || attempt != a) {
                return;
            }
            if (paused) {
                // a paused round's deadline waits for the resume: sites were told to wait, not to give up
                schedule(() -> deadlinePassed(r, a));
                return;
            }
            if (secure != null) {
                // the round's first deadline is that of its first secure-aggregation step
                schedule(() -> secureDeadlinePassed(r, a, SecureRound.Step.ADVERTISE));
                return;
            }
            updates = submitted.size();
            if (updates >= rules.minUpdates() && updates > 0) {
                log.info("round {} reached its deadline with {} of {} updates; aggregating those, the others are "
                        + "stragglers and take part from round {}", r, updates, participants.size(), r + 1);
                phase = Phase.AGGREGATING;
                close = true;
            } else if (rules.onShortRound() == RoundRules.ShortRound.RETRY) {
                retried = true;
                startRound(r, a + 1);
            } else {
                skipped.add(r);
                nextRoundOrEnd(r + 1);
            }
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.stateChanged(state);
        if (close) {
            closeRound();
            return;
        }
        log.warn("round {} (attempt {}) reached its deadline with {} of the {} updates it needs; it is {}", r, a,
                updates, rules.minUpdates(), retried ? "run again" : "skipped");
        listener.roundShort(r, a, updates, rules.minUpdates(), retried);
        if (!retried && !plan.siteEvaluation() && r == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    // Caller holds the lock. Starts round r, or, past the last round, the site evaluation.
    private void nextRoundOrEnd(int r) {
        if (r <= plan.rounds() && paused) {
            // the round opens when the operator resumes
            round = r - 1;
            phase = Phase.WAITING_FOR_SITES;
            signalChanged();
        } else if (r <= plan.rounds()) {
            startRound(r, 1);
        } else {
            round = plan.rounds();
            if (plan.siteEvaluation()) {
                phase = Phase.SITE_EVALUATION;
                if (rules.deadlineMillis() > 0) {
                    // a site that died for good must not keep the federation from finishing
                    schedule(() -> finish("all " + plan.rounds() + " rounds done; the site evaluation deadline "
                            + "passed with " + evaluatedCount() + " of " + sites.size() + " sites' reports"));
                }
            }
            signalChanged();
        }
    }

    /** True when a resumed run had nothing left but its end and no site evaluation is asked for. */
    private boolean finishedAfterResume() {
        lock.lock();
        try {
            return !plan.siteEvaluation() && phase == Phase.WAITING_FOR_SITES && round >= plan.rounds();
        } finally {
            lock.unlock();
        }
    }

    // Caller holds the lock.
    private void startRound(int r, int a) {
        round = r;
        attempt = a;
        participants.clear();
        participants.addAll(sites.keySet());
        submitted.clear();
        weightedLossSum = 0;
        roundBags = 0;
        // pretraining rounds are plain FedAvg over the encoder whatever the strategy: a server optimiser's state
        // (FedAdam's moments) is for the supervised model and must not be fed the contrastive steps
        aggregator = plan.isPretrainingRound(r) ? pretrainingStrategy : strategy;
        aggregator.beginRound(plan.isPretrainingRound(r) ? EncoderPart.specs(specs) : specs);
        secure = null;
        if (plan.secureAggregation()) {
            List<SiteJoin> joins = new ArrayList<>();
            for (String p : participants) {
                joins.add(sites.get(p));
            }
            try {
                secure = new SecureRound(SecureRound.parameters(plan, r, joins, global.weights().parameterCount()),
                        participants);
            } catch (SecAggException e) {
                // no fixed point fits this round's K, bag counts and bound: the federation stops, saying which
                log.error("round {} cannot be securely aggregated: {}", r, e.getMessage());
                phase = Phase.AGGREGATING; // sites wait while the finish is recorded
                closer.execute(() -> finish("round " + r + " cannot be securely aggregated: " + e.getMessage()));
                return;
            }
        }
        phase = Phase.TRAINING;
        roundStartNanos = System.nanoTime();
        int n = participants.size();
        signalChanged();
        try {
            closer.execute(() -> listener.roundStarted(r, n));
        } catch (RejectedExecutionException closing) {
            return; // the run is being closed; no round will be closed any more
        }
        if (rules.deadlineMillis() > 0) {
            if (secure != null) {
                schedule(() -> secureDeadlinePassed(r, a, SecureRound.Step.ADVERTISE));
            } else {
                schedule(() -> deadlinePassed(r, a));
            }
        }
    }

    /** Runs {@code task} on the closer thread once the round deadline has passed from now. */
    private void schedule(Runnable task) {
        try {
            deadlines.schedule(() -> {
                try {
                    closer.execute(task);
                } catch (RejectedExecutionException closing) {
                    // closed meanwhile
                }
            }, rules.deadlineMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the run is being closed
        }
    }

    private int evaluatedCount() {
        lock.lock();
        try {
            return evaluated.size();
        } finally {
            lock.unlock();
        }
    }

    // Caller holds the lock.
    private RunState snapshot() {
        Map<String, String> in = new TreeMap<>();
        submitted.forEach((site, sha) -> in.put(site, Sha256.hex(sha)));
        List<Integer> completed = new ArrayList<>();
        for (RoundResult h : history) {
            completed.add(h.round());
        }
        return new RunState(++stateSeq, plan.federationId(), phase, round, attempt, global.version(), completed,
                skipped, new ArrayList<>(participants), in);
    }

    // Runs on the closer thread only, so two finishes cannot interleave.
    private void finish(String reason) {
        RunState state;
        lock.lock();
        try {
            if (phase == Phase.FINISHED) {
                return;
            }
        } finally {
            lock.unlock();
        }
        // recorded before anyone can see the federation finished (a site told to stop, awaitFinished returning),
        // so that whoever reads the round log after that finds the federation_finished record in it
        listener.finished(reason);
        lock.lock();
        try {
            phase = Phase.FINISHED;
            finishReason = reason;
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.stateChanged(state);
    }

    /**
     * A site leaves: it is no longer joined, the open round stops waiting for its update (and closes at once if
     * every other participant is in), and the listener records why. A site that leaves may join again later.
     */
    public void leave(String siteId, String reason) {
        boolean closeNow = false;
        SecureShort secureNote = null;
        int remaining;
        RunState state;
        lock.lock();
        try {
            requireJoined(siteId);
            sites.remove(siteId);
            departed.add(siteId);
            remaining = sites.size();
            if (phase == Phase.TRAINING && secure != null && participants.contains(siteId)) {
                secure.siteLeft(siteId);
                if (secure.stepComplete()) {
                    secureNote = closeSecureStep();
                    closeNow = phase == Phase.AGGREGATING;
                }
            } else if (phase == Phase.TRAINING && participants.contains(siteId) && !submitted.containsKey(siteId)) {
                participants.remove(siteId);
                if (!submitted.isEmpty() && submitted.size() == participants.size()) {
                    phase = Phase.AGGREGATING;
                    closeNow = true;
                }
            }
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        listener.siteLeft(siteId, reason, remaining);
        listener.stateChanged(state);
        tell(secureNote);
        if (closeNow) {
            closer.execute(this::closeRound);
        }
    }

    /**
     * The operator pauses the federation: no new round starts and no train task is handed out (sites get WAIT
     * {@value #PAUSED_REASON}); uploads of train tasks already handed out are still accepted, and a round whose
     * updates are all in is aggregated. The open round's deadline waits for {@link #resume()}.
     *
     * @return false when it was already paused or the federation has finished
     */
    public boolean pause() {
        RunState state;
        lock.lock();
        try {
            if (paused || phase == Phase.FINISHED) {
                return false;
            }
            paused = true;
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        log.info("federation '{}' paused by the operator in round {}", plan.federationId(), currentRound());
        listener.stateChanged(state);
        return true;
    }

    /** Undoes {@link #pause()}: the round due opens now if enough sites are joined. */
    public boolean resume() {
        RunState state;
        lock.lock();
        try {
            if (!paused) {
                return false;
            }
            paused = false;
            if (phase == Phase.WAITING_FOR_SITES && sites.size() >= plan.minSites() && round < plan.rounds()) {
                nextRoundOrEnd(round + 1);
            }
            state = snapshot();
            signalChanged();
        } finally {
            lock.unlock();
        }
        log.info("federation '{}' resumed by the operator", plan.federationId());
        listener.stateChanged(state);
        return true;
    }

    public boolean paused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** True when the site is joined now. */
    public boolean isJoined(String siteId) {
        lock.lock();
        try {
            return sites.containsKey(siteId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Every site joined now or departed, with its state (joined, training, submitted, left) and how many of its
     * updates were accepted: aggregated in completed rounds, plus the open round's.
     */
    public List<SiteView> siteViews() {
        lock.lock();
        try {
            Map<String, Integer> accepted = new TreeMap<>();
            for (RoundResult h : history) {
                for (String site : h.sites()) {
                    accepted.merge(site, 1, Integer::sum);
                }
            }
            if (phase == Phase.TRAINING || phase == Phase.AGGREGATING) {
                submitted.keySet().forEach(site -> accepted.merge(site, 1, Integer::sum));
            }
            List<SiteView> views = new ArrayList<>();
            for (String site : sites.keySet()) {
                String state = "joined";
                if (submitted.containsKey(site) && (phase == Phase.TRAINING || phase == Phase.AGGREGATING)) {
                    state = "submitted";
                } else if (phase == Phase.TRAINING && participants.contains(site)) {
                    state = "training";
                }
                views.add(new SiteView(site, state, accepted.getOrDefault(site, 0)));
            }
            for (String site : departed) {
                views.add(new SiteView(site, "left", accepted.getOrDefault(site, 0)));
            }
            return views;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the federation now; sites are told to stop at their next poll. */
    public void abort(String reason) {
        try {
            closer.execute(() -> finish(reason));
        } catch (RejectedExecutionException alreadyClosed) {
            // closed after finishing: nothing left to abort
        }
    }

    private void requireJoined(String siteId) {
        if (!sites.containsKey(siteId)) {
            throw UpdateRefusal.NOT_JOINED.because("site '" + siteId
                    + "' has not joined this federation (or the coordinator restarted since); call Join first");
        }
    }

    /** Blocks until the federation has finished and every joined site was told to stop, or the timeout passes. */
    public boolean awaitSitesStopped(Duration timeout) throws InterruptedException {
        return await(() -> phase == Phase.FINISHED && stopped.containsAll(sites.keySet()), timeout);
    }

    /** Blocks until the global model has reached the given version, or the timeout passes. */
    public boolean awaitModelVersion(long version, Duration timeout) throws InterruptedException {
        return await(() -> global.version() >= version, timeout);
    }

    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return await(() -> phase == Phase.FINISHED, timeout);
    }

    /** Waits, holding the lock between checks, until {@code done} (evaluated under the lock) holds. */
    private boolean await(java.util.function.BooleanSupplier done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    public Phase phase() {
        lock.lock();
        try {
            return phase;
        } finally {
            lock.unlock();
        }
    }

    /** Site ids that have joined, in joining order. */
    public List<String> joinedSites() {
        lock.lock();
        try {
            return List.copyOf(sites.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Updates accepted in the current round so far. */
    public int updatesReceived() {
        lock.lock();
        try {
            return submitted.size();
        } finally {
            lock.unlock();
        }
    }

    /** Rounds skipped for want of min_updates at their deadline. */
    public List<Integer> skippedRounds() {
        lock.lock();
        try {
            return List.copyOf(skipped);
        } finally {
            lock.unlock();
        }
    }

    public int currentRound() {
        lock.lock();
        try {
            return round;
        } finally {
            lock.unlock();
        }
    }

    public GlobalModel currentModel() {
        lock.lock();
        try {
            return global;
        } finally {
            lock.unlock();
        }
    }

    public List<RoundResult> history() {
        lock.lock();
        try {
            return Collections.unmodifiableList(new ArrayList<>(history));
        } finally {
            lock.unlock();
        }
    }

    public FederationPlan plan() {
        return plan;
    }

    @Override
    public void close() throws InterruptedException {
        deadlines.shutdownNow();
        closer.shutdown();
        if (!closer.awaitTermination(30, TimeUnit.SECONDS)) {
            closer.shutdownNow();
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The numbers accepted for one upload. */
    public record UploadAccepted(int round, int updatesReceived, int updatesExpected) {
    }
}
