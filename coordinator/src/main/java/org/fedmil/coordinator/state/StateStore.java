package org.fedmil.coordinator.state;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.Resume;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.AtomicFiles;
import org.fedmil.util.Sha256;

/**
 * The coordinator's state folder: every global model (raw tensor bytes plus a JSON header naming tensors,
 * shapes and SHA-256), the metrics of every round, the run's progress and every refused upload. Every file is
 * written atomically (temp file, fsync, rename), data before its header and a model before the metrics entry
 * that names it, so what is on disk after a crash at any instant is consistent: metrics.json is the record of
 * completed rounds, and every model it names is complete.
 *
 * <pre>
 * state/
 *   federation.json          the plan this federation runs
 *   models/model-v0003.bin   float32 little-endian, tensors concatenated in header order
 *   models/model-v0003.json  version, SHA-256, model spec, tensor names and shapes
 *   metrics.json             one entry per completed round (round 0 = the initial model): held-out metrics
 *                            (null where undefined), the AUC's interval, the round's warnings
 *   selected-model.json      the model the federation keeps: lowest federated validation loss (never held-out)
 *   final-validation.json    the sites' validation of the final model, from their evaluation reports
 *   state.json               the open round, its attempt and accepted updates, completed and skipped rounds,
 *                            the sites joined and ever joined, and the finish reason once finished (a finished
 *                            federation stays finished on restart); written at every transition before it
 *                            takes effect; an accepted update's snapshot in the background, see
 *                            {@link #saveStateInBackground}
 *   refusals.json            every refused upload: when, which site, which round, kind, reason
 *   evaluations.json         every site's evaluation of the final model on its own bags
 *   strategy/state-r0003.bin a stateful strategy's server state after round 3 (FedAdam/FedYogi: m and v;
 *                            FedAvgM: v; float32 LE),
 *   strategy/state-r0003.json   written before the round enters metrics.json; its strategy, round, SHA-256,
 *                               tensor names and shapes. The last two rounds' states are kept.
 *   uploads/                 uploads as they arrive (see the server's UploadSpool)
 * </pre>
 */
public final class StateStore implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(StateStore.class);

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // an undefined metric (AUC over one class) is null in the files, never the non-JSON NaN
            .registerModule(org.fedmil.mil.eval.MetricsJson.module());

    /** One refused upload, as refusals.json lists it; {@code at} is an ISO-8601 instant. */
    public record Refusal(String at, String site, int round, UpdateRefusal kind, String status, String reason) {
    }

    private final Path dir;
    private final List<RoundResult> rounds = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    /** One site's evaluation of a global model on its own bags, as evaluations.json lists it. */
    public record Evaluation(String site, long modelVersion, org.fedmil.mil.eval.BinaryMetrics metrics) {
    }
    private long stateSeq = -1; // guarded by stateWriteLock
    private final Object stateWriteLock = new Object();
    private final Object pendingLock = new Object();
    private RunState pendingState; // guarded by pendingLock
    private final java.util.concurrent.atomic.AtomicBoolean backgroundQueued =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ExecutorService backgroundWriter =
            java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "state-json-writer");
                t.setDaemon(true);
                return t;
            });

    /** Opens (or creates) the folder; rounds and refusals already recorded there are kept and appended to. */
    public StateStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("models"));
            if (Files.exists(metricsFile())) {
                rounds.addAll(JSON.readValue(metricsFile().toFile(), new TypeReference<List<RoundResult>>() { }));
            }
            if (Files.exists(dir.resolve("evaluations.json"))) {
                evaluations.addAll(JSON.readValue(dir.resolve("evaluations.json").toFile(),
                        new TypeReference<List<Evaluation>>() { }));
            }
            if (Files.exists(refusalsFile())) {
                refusals.addAll(JSON.readValue(refusalsFile().toFile(), new TypeReference<List<Refusal>>() { }));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the coordinator state folder " + dir
                    + "; check state_dir in coordinator.yaml and its permissions (" + e.getMessage() + ")", e);
        }
    }

    public Path dir() {
        return dir;
    }

    private Path metricsFile() {
        return dir.resolve("metrics.json");
    }

    private Path refusalsFile() {
        return dir.resolve("refusals.json");
    }

    private Path stateFile() {
        return dir.resolve("state.json");
    }

    private Path modelFile(long version, String ext) {
        return dir.resolve("models").resolve(String.format("model-v%04d.%s", version, ext));
    }

    /**
     * The pretraining rounds the federation of this folder was planned with (federation.json's
     * {@code pretraining.rounds}): 0 when it had none, or when no plan was saved yet.
     */
    public synchronized int savedPretrainingRounds() {
        Path file = dir.resolve("federation.json");
        if (!Files.exists(file)) {
            return 0;
        }
        try {
            JsonNode pretraining = JSON.readTree(file.toFile()).path("pretraining");
            return pretraining.isObject() ? pretraining.path("rounds").asInt() : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * The global model of {@code version} as saved by {@link #saveModel}, decoded to {@code specs}; empty when this
     * folder has no such model.
     */
    public synchronized Optional<TensorSet> model(long version, List<TensorSpec> specs) {
        Path bin = modelFile(version, "bin");
        if (!Files.exists(bin)) {
            return Optional.empty();
        }
        try {
            return Optional.of(TensorCodec.decode(specs, Files.readAllBytes(bin)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read global model version " + version + " from " + bin, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(bin + " does not hold a model of this federation's tensors " + specs
                    + ": " + e.getMessage(), e);
        }
    }

    public synchronized void saveFederation(Object plan) {
        write(dir.resolve("federation.json"), plan);
    }

    /**
     * Writes the model's file and then its header, each atomically. Not synchronized: it runs on the coordinator's
     * model writer while the event thread records other things here, and it touches only the model's own files.
     */
    public void saveModel(GlobalModel model) {
        try {
            AtomicFiles.write(modelFile(model.version(), "bin"), model::writeTo);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write global model version " + model.version() + " to " + dir, e);
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("version", model.version());
        header.put("sha256", Sha256.hex(model.sha256()));
        header.put("model", model.spec());
        header.put("bytes", model.byteSize());
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (TensorSpec s : model.specs()) {
            tensors.add(Map.of("name", s.name(), "shape", s.shape()));
        }
        header.put("tensors", tensors);
        header.put("encoding", "float32 little-endian, row-major, tensors concatenated in this order");
        write(modelFile(model.version(), "json"), header);
    }

    /** Appends a completed round; a round already recorded (a replayed event) is refused, not written twice. */
    public synchronized void saveRound(RoundResult result) {
        for (RoundResult r : rounds) {
            if (r.round() == result.round()) {
                throw new IllegalStateException("round " + result.round() + " is already recorded in " + metricsFile()
                        + "; a round is never counted twice");
            }
        }
        rounds.add(result);
        write(metricsFile(), rounds);
    }

    /** The file naming the model the federation keeps. */
    public static final String SELECTED_MODEL = "selected-model.json";

    /** The sites' validation of the final model (no round follows it to carry one). */
    public static final String FINAL_VALIDATION = "final-validation.json";

    public synchronized void saveFinalValidation(org.fedmil.coordinator.round.FederatedValidation validation) {
        write(dir.resolve(FINAL_VALIDATION), validation);
    }

    /** The final model's validation, if the sites reported one. */
    public synchronized Optional<org.fedmil.coordinator.round.FederatedValidation> finalValidation() {
        Path file = dir.resolve(FINAL_VALIDATION);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), org.fedmil.coordinator.round.FederatedValidation.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Writes selected-model.json: which model has the lowest federated validation loss so far, and its files in
     * models/. Rewritten whenever the choice is remade; metrics.json holds the history it is derived from.
     */
    public synchronized void saveSelectedModel(org.fedmil.coordinator.round.FederatedValidation best) {
        Map<String, Object> selected = new LinkedHashMap<>();
        selected.put("model_version", best.modelVersion());
        selected.put("model_round", best.modelRound());
        rounds.stream().filter(r -> r.modelVersion() == best.modelVersion()).findFirst()
                .ifPresent(r -> selected.put("model_sha256", r.modelSha256()));
        selected.put("model_file", dir.relativize(modelFile(best.modelVersion(), "bin")).toString());
        selected.put("model_header", dir.relativize(modelFile(best.modelVersion(), "json")).toString());
        selected.put("chosen_by", "lowest federated validation loss (sites' validation bags; never the held-out set)");
        selected.put("validation", best);
        write(dir.resolve(SELECTED_MODEL), selected);
    }

    public synchronized List<RoundResult> rounds() {
        return List.copyOf(rounds);
    }

    public synchronized void saveRefusal(Refusal refusal) {
        refusals.add(refusal);
        write(refusalsFile(), refusals);
    }

    public synchronized List<Refusal> refusals() {
        return List.copyOf(refusals);
    }

    /** Appends a site's evaluation of a global model to evaluations.json. */
    public synchronized void saveEvaluation(Evaluation evaluation) {
        evaluations.add(evaluation);
        write(dir.resolve("evaluations.json"), evaluations);
    }

    /** Writes state.json unless a newer snapshot was written already; on return, one at least as new is on disk. */
    public void saveState(RunState state) {
        offer(state);
        // Group write: whoever gets the writer's lock writes the newest snapshot handed in so far, so callers that
        // queued behind one write find theirs (or a newer one) on disk and return without writing. On return a
        // snapshot at least as new as {@code state} is on disk, as before.
        synchronized (stateWriteLock) {
            if (state.seq() <= stateSeq) {
                return;
            }
            writeNewest();
        }
    }

    /**
     * Hands state.json a snapshot that need not be on disk when this returns, and returns at once: a background
     * writer writes the newest snapshot handed in, one write at a time, so a burst of them costs one write each
     * time the writer comes round, not one per snapshot. For snapshots whose only change is one more accepted
     * update of the open round: nothing reads those back after a crash (the open round runs again and its sites
     * send again, docs/reliability.md), so no call handler should wait on their two fsyncs. At 500 sites the
     * handlers spent most of a round waiting here, one O(sites) file and two fsyncs per accepted update. The
     * next {@link #saveState} (any transition) writes it, or a newer one, if the writer has not yet.
     */
    public void saveStateInBackground(RunState state) {
        offer(state);
        if (backgroundQueued.compareAndSet(false, true)) {
            try {
                backgroundWriter.execute(() -> {
                    backgroundQueued.set(false); // a snapshot handed in from here on queues another write
                    try {
                        synchronized (stateWriteLock) {
                            writeNewest();
                        }
                    } catch (RuntimeException e) {
                        // nobody waits for this write to report to; the next transition's saveState writes again
                        // and fails loudly if the folder is still unwritable
                        log.error("could not write {} in the background: {}", stateFile(), e.getMessage());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                backgroundQueued.set(false); // closing: close() writes what is pending
            }
        }
    }

    /**
     * Writes the newest snapshot handed in, if not yet written, and stops the background writer. The coordinator
     * calls it when it stops, so state.json ends with its last state.
     */
    public void close() throws InterruptedException {
        backgroundWriter.shutdown();
        backgroundWriter.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        synchronized (stateWriteLock) {
            writeNewest();
        }
    }

    private void offer(RunState state) {
        synchronized (pendingLock) {
            if (pendingState == null || state.seq() > pendingState.seq()) {
                pendingState = state;
            }
        }
    }

    // Caller holds stateWriteLock.
    private void writeNewest() {
        RunState newest;
        synchronized (pendingLock) {
            newest = pendingState;
        }
        if (newest == null || newest.seq() <= stateSeq) {
            return;
        }
        write(stateFile(), newest);
        stateSeq = newest.seq();
    }

    /**
     * Where to take up after a restart, or empty for a fresh folder. Checks that the folder belongs to this
     * federation and that the last completed round's model is intact.
     *
     * @param initialSpecs the tensors of this federation's model, to decode the saved model with
     */
    public synchronized Optional<Resume> resume(String federationId, ModelSpec spec, List<TensorSpec> initialSpecs) {
        if (rounds.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode plan = JSON.readTree(dir.resolve("federation.json").toFile());
            String savedId = plan.path("federation_id").asText();
            if (!savedId.equals(federationId)) {
                throw new IllegalStateException("state folder " + dir + " holds federation '" + savedId
                        + "', not '" + federationId + "'; point state_dir at this federation's folder or at an empty one");
            }
            ModelSpec savedSpec = JSON.treeToValue(plan.path("model"), ModelSpec.class);
            if (!savedSpec.equals(spec)) {
                throw new IllegalStateException("state folder " + dir + " holds a federation of model " + savedSpec
                        + " but coordinator.yaml now describes " + spec + "; a federation's model cannot change on restart");
            }
            JsonNode saved = Files.exists(stateFile()) ? JSON.readTree(stateFile().toFile())
                    : JSON.createObjectNode();
            List<Integer> skipped = new ArrayList<>();
            for (JsonNode n : saved.path("skipped_rounds")) {
                skipped.add(n.asInt());
            }
            RoundResult last = rounds.get(rounds.size() - 1);
            byte[] bytes = Files.readAllBytes(modelFile(last.modelVersion(), "bin"));
            byte[] sha = Sha256.of(bytes);
            if (!MessageDigest.isEqual(sha, java.util.HexFormat.of().parseHex(last.modelSha256()))) {
                throw new IllegalStateException(modelFile(last.modelVersion(), "bin") + " hashes to " + Sha256.hex(sha)
                        + " but metrics.json records " + last.modelSha256() + " for round " + last.round()
                        + "; the state folder was changed by hand, restore it from a backup");
            }
            GlobalModel model = GlobalModel.of(last.modelVersion(), spec, TensorCodec.decode(initialSpecs, bytes));
            return Optional.of(new Resume(rounds, skipped, model, finishReason(saved), texts(saved.path("joined_sites")),
                    texts(saved.path("known_sites"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state of the federation in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Why the federation of state.json finished, or null when it had not. */
    private static String finishReason(JsonNode saved) {
        if (!"FINISHED".equals(saved.path("phase").asText())) {
            return null;
        }
        String reason = saved.path("finish_reason").asText("");
        // a folder written before the reason was kept in state.json: the round log's federation_finished has it
        return reason.isEmpty() ? "the reason is in the federation_finished record of round-log.jsonl" : reason;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private Path strategyFile(int round, String ext) {
        return dir.resolve("strategy").resolve(String.format("state-r%04d.%s", round, ext));
    }

    /**
     * Writes the server optimiser's state after {@code round}, data before header, each atomically; call before
     * {@link #saveRound} of that round, so that every round in metrics.json has its state on disk. States older
     * than the previous round are deleted.
     */
    public synchronized void saveStrategyState(int round, org.fedmil.coordinator.aggregate.StrategyState state) {
        byte[] bytes = org.fedmil.tensor.TensorCodec.encode(state.tensors());
        try {
            Files.createDirectories(dir.resolve("strategy"));
            AtomicFiles.write(strategyFile(round, "bin"), out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the strategy state of round " + round + " to " + dir, e);
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("strategy", state.strategy());
        header.put("round", round);
        header.put("sha256", Sha256.hex(Sha256.of(bytes)));
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (TensorSpec t : state.tensors().specs()) {
            tensors.add(Map.of("name", t.name(), "shape", t.shape()));
        }
        header.put("tensors", tensors);
        header.put("encoding", "float32 little-endian, row-major, tensors concatenated in this order");
        write(strategyFile(round, "json"), header);
        for (int old = round - 2; old >= Math.max(0, round - 12); old--) {
            try {
                Files.deleteIfExists(strategyFile(old, "json"));
                Files.deleteIfExists(strategyFile(old, "bin"));
            } catch (IOException e) {
                // an old state left behind is harmless
            }
        }
    }

    /** The server optimiser's state saved after {@code round}, if there is one; checked against its SHA-256. */
    public synchronized Optional<org.fedmil.coordinator.aggregate.StrategyState> strategyState(int round) {
        Path header = strategyFile(round, "json");
        if (!Files.exists(header)) {
            return Optional.empty();
        }
        try {
            JsonNode h = JSON.readTree(header.toFile());
            byte[] bytes = Files.readAllBytes(strategyFile(round, "bin"));
            String sha = Sha256.hex(Sha256.of(bytes));
            if (!sha.equals(h.path("sha256").asText())) {
                throw new IllegalStateException(strategyFile(round, "bin") + " hashes to " + sha + " but its header "
                        + "records " + h.path("sha256").asText() + "; the state folder was changed by hand, restore "
                        + "it from a backup");
            }
            List<TensorSpec> specs = new ArrayList<>();
            for (JsonNode t : h.path("tensors")) {
                long[] shape = new long[t.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.path("shape").get(i).asLong();
                }
                specs.add(new TensorSpec(t.path("name").asText(), shape));
            }
            return Optional.of(new org.fedmil.coordinator.aggregate.StrategyState(h.path("strategy").asText(),
                    TensorCodec.decode(specs, bytes)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the strategy state of round " + round + " in " + dir, e);
        }
    }

    private static void write(Path file, Object value) {
        try {
            byte[] json = JSON.writeValueAsBytes(value);
            AtomicFiles.write(file, out -> out.write(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
