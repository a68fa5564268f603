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
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.fedmil.coordinator.aggregate.Aggregator;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's rounds, as plain logic without a network: sites join, round r sends every joined site a
 * train task from global model r−1, each site's delta is checked and folded into the round's aggregator as it
 * arrives, and once every participant has reported the new global model is made, evaluated on the held-out set
 * and saved before round r+1 starts. After the last round every site evaluates the final model on its own bags
 * and is then told to stop.
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
    private final Function<List<TensorSpec>, Aggregator> aggregatorFactory;
    private final RoundListener listener;
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "round-closer");
        t.setDaemon(true);
        return t;
    });

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Everything below is guarded by lock.
    private final Map<String, SiteJoin> sites = new LinkedHashMap<>();
    private final Set<String> participants = new LinkedHashSet<>();
    private final Set<String> submitted = new LinkedHashSet<>();
    private final Set<String> evaluated = new LinkedHashSet<>();
    private final Set<String> stopped = new LinkedHashSet<>();
    private final List<RoundResult> history = new ArrayList<>();
    private Phase phase = Phase.WAITING_FOR_SITES;
    private GlobalModel global;
    private int round;
    private Aggregator aggregator;
    private double weightedLossSum;
    private long roundBags;
    private long roundStartNanos;
    private String finishReason;

    public FederationRun(FederationPlan plan, GlobalModel initial, HeldOutEvaluation heldOut,
                         Function<List<TensorSpec>, Aggregator> aggregatorFactory, RoundListener listener) {
        this.plan = plan;
        this.global = initial;
        this.heldOut = heldOut;
        this.aggregatorFactory = aggregatorFactory;
        this.listener = listener;
    }

    /** Evaluates and reports the initial model as round 0; call once before sites are admitted. */
    public RoundResult start() {
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
            joined = sites.size();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        listener.siteJoined(siteId, join, joined, plan.minSites());
        lock.lock();
        try {
            if (phase == Phase.WAITING_FOR_SITES && sites.size() >= plan.minSites()) {
                startRound(1);
            }
        } finally {
            lock.unlock();
        }
        return plan.federationId();
    }

    /**
     * The site's next task. A site with nothing to do is held up to {@code maxWait} so that it learns of the next
     * round at once rather than at its next poll.
     */
    public Task nextTask(String siteId, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        lock.lock();
        try {
            requireJoined(siteId);
            while (true) {
                Task task = decide(siteId);
                long left = deadline - System.nanoTime();
                if (!(task instanceof Task.Wait) || left <= 0) {
                    if (task instanceof Task.Stop) {
                        stopped.add(siteId);
                        changed.signalAll();
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
        switch (phase) {
            case FINISHED:
                return new Task.Stop(finishReason);
            case WAITING_FOR_SITES:
                return new Task.Wait(RETRY_AFTER_MS, "waiting for sites to join: " + sites.size() + " of "
                        + plan.minSites() + " needed");
            case TRAINING:
                if (participants.contains(siteId) && !submitted.contains(siteId)) {
                    return new Task.Train(round, global);
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
     * Checks a site's update and folds it in. Nothing of a refused update reaches the aggregate.
     *
     * @return how many updates of this round are in, and how many are expected
     */
    public UploadAccepted submit(String siteId, IncomingUpdate update) {
        // Hash outside the lock: it touches no shared state. Decoding and the finiteness scan still run under it.
        byte[] actualSha = Sha256.of(update.bytes());
        boolean closeNow;
        UploadAccepted accepted;
        lock.lock();
        try {
            requireJoined(siteId);
            if (phase != Phase.TRAINING || update.round() != round) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "round " + update.round()
                        + " is not open for updates (current round " + round + ", " + phase.name().toLowerCase()
                        + "); ask for the next task");
            }
            if (!participants.contains(siteId)) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "site '" + siteId
                        + "' is not a participant of round " + round + "; it takes part from the next round");
            }
            if (submitted.contains(siteId)) {
                throw new FederationException(Status.Code.ALREADY_EXISTS, "site '" + siteId
                        + "' already submitted its update for round " + round + "; one update per site and round");
            }
            if (update.baseModelVersion() != global.version()) {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, "update was trained from model version "
                        + update.baseModelVersion() + " but round " + round + " trains from version " + global.version());
            }
            TensorSet delta = checkedDelta(update, actualSha);
            aggregator.accept(delta, update.trainingBags());
            weightedLossSum += update.trainLoss() * update.trainingBags();
            roundBags += update.trainingBags();
            submitted.add(siteId);
            accepted = new UploadAccepted(round, submitted.size(), participants.size());
            closeNow = submitted.size() == participants.size();
            if (closeNow) {
                phase = Phase.AGGREGATING;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (closeNow) {
            closer.execute(this::closeRound);
        }
        return accepted;
    }

    private TensorSet checkedDelta(IncomingUpdate update, byte[] actualSha) {
        if (update.declaredSha256().length != 32) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, "the update header's delta_sha256 has "
                    + update.declaredSha256().length + " bytes; a SHA-256 has 32");
        }
        if (!MessageDigest.isEqual(update.declaredSha256(), actualSha)) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, "delta SHA-256 mismatch: the header says "
                    + Sha256.hex(update.declaredSha256()) + " but the received bytes hash to " + Sha256.hex(actualSha)
                    + "; the update was discarded, send it again");
        }
        List<TensorSpec> expected = global.weights().specs();
        if (!update.tensors().equals(expected)) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, "update tensors do not match the federation's "
                    + "model: " + firstDifference(expected, update.tensors()));
        }
        if (update.trainingBags() <= 0) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, "num_training_bags must be positive, got "
                    + update.trainingBags());
        }
        if (!Double.isFinite(update.trainLoss())) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, "train_loss is " + update.trainLoss()
                    + "; local training diverged, the update was refused");
        }
        TensorSet delta;
        try {
            delta = TensorCodec.decode(update.tensors(), update.bytes());
        } catch (IllegalArgumentException e) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        for (NamedTensor t : delta.tensors()) {
            for (float v : t.values()) {
                if (!Float.isFinite(v)) {
                    throw new FederationException(Status.Code.INVALID_ARGUMENT, "tensor '" + t.name()
                            + "' holds a NaN or infinite value; the update was refused");
                }
            }
        }
        return delta;
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
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        closer.execute(() -> listener.siteEvaluated(siteId, evaluation));
        if (finish) {
            closer.execute(() -> finish("all " + plan.rounds() + " rounds done"));
        }
    }

    // Runs on the closer thread only.
    private void closeRound() {
        long t0 = roundStartNanos;
        GlobalModel next;
        RoundResult result;
        try {
            TensorSet weights = aggregator.apply(global.weights());
            next = GlobalModel.of(global.version() + 1, global.spec(), weights);
            BinaryMetrics metrics = heldOut.evaluate(weights);
            List<String> roundSites;
            long bags;
            double lossSum;
            lock.lock();
            try {
                roundSites = new ArrayList<>(new TreeSet<>(submitted));
                bags = roundBags;
                lossSum = weightedLossSum;
            } finally {
                lock.unlock();
            }
            result = new RoundResult(round, next.version(), Sha256.hex(next.sha256()), roundSites, bags,
                    lossSum / bags, metrics, seconds(t0));
            listener.roundCompleted(result, next);
        } catch (RuntimeException e) {
            log.error("round {} could not be closed; the federation stops so that no unevaluated model is served", round, e);
            finish("round " + round + " failed: " + e.getMessage());
            return;
        }
        lock.lock();
        try {
            global = next;
            history.add(result);
            changed.signalAll();
            if (round < plan.rounds()) {
                startRound(round + 1);
            } else if (plan.siteEvaluation()) {
                phase = Phase.SITE_EVALUATION;
            }
        } finally {
            lock.unlock();
        }
        if (!plan.siteEvaluation() && result.round() == plan.rounds()) {
            finish("all " + plan.rounds() + " rounds done");
        }
    }

    // Caller holds the lock.
    private void startRound(int r) {
        round = r;
        participants.clear();
        participants.addAll(sites.keySet());
        submitted.clear();
        weightedLossSum = 0;
        roundBags = 0;
        aggregator = aggregatorFactory.apply(global.weights().specs());
        phase = Phase.TRAINING;
        roundStartNanos = System.nanoTime();
        int n = participants.size();
        changed.signalAll();
        closer.execute(() -> listener.roundStarted(r, n));
    }

    private void finish(String reason) {
        lock.lock();
        try {
            if (phase == Phase.FINISHED) {
                return;
            }
            phase = Phase.FINISHED;
            finishReason = reason;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        listener.finished(reason);
    }

    /** Ends the federation now; sites are told to stop at their next poll. */
    public void abort(String reason) {
        try {
            closer.execute(() -> finish(reason));
        } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
            // closed after finishing: nothing left to abort
        }
    }

    private void requireJoined(String siteId) {
        if (!sites.containsKey(siteId)) {
            throw new FederationException(Status.Code.PERMISSION_DENIED, "site '" + siteId
                    + "' has not joined this federation; call Join first");
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
