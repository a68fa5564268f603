package org.fedmil.coordinator.eval;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.ModelEnsemble;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores every new global model on the held-out set the ways the coordinator's {@code evaluation} section asks,
 * beside its own AUC: with test-time augmentation, as the mean of the last k global models, and as the mean of
 * this federation's model and the final models of other federations (seeds, folds). The rows go to
 * {@value #FILE} in the state folder (rewritten atomically after each round) and to the console under the round's
 * line. A round listener, so it runs on the run's event thread after the round is recorded: it delays the next
 * round (and the sites' calls meanwhile) by its evaluation time, but never changes what the round produced.
 *
 * <p>The last-k window is refilled from the round models the state folder keeps when the coordinator resumes.
 */
public final class EnsembleEvaluation implements RoundListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EnsembleEvaluation.class);

    public static final String FILE = "heldout-extra.json";

    private final MilModel model;
    private final List<Bag> bags;
    private final Optional<TestTimeAugmentation> tta;
    private final int lastK;
    private final List<TensorSet> otherRuns;
    private final Deque<TensorSet> recent = new ArrayDeque<>();
    private final Path file;
    private final PrintStream out;
    private final List<ExtraHeldOutMetrics> rows = new ArrayList<>();

    /**
     * @param model     a model of the federation's spec for this listener alone (its weights are overwritten)
     * @param lastK     0, or how many of the latest global models to average
     * @param otherRuns final weights of other federations of the same spec
     */
    public EnsembleEvaluation(MilModel model, List<Bag> bags, Optional<TestTimeAugmentation> tta, int lastK,
                              List<TensorSet> otherRuns, StateStore store, PrintStream out) {
        this.model = model;
        this.bags = bags;
        this.tta = tta;
        this.lastK = lastK;
        this.otherRuns = List.copyOf(otherRuns);
        this.file = store.dir().resolve(FILE);
        this.out = out;
        try {
            if (Files.exists(file)) {
                rows.addAll(StateStore.JSON.readValue(file.toFile(), new TypeReference<List<ExtraHeldOutMetrics>>() { }));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + "; move it away to start its rows afresh", e);
        }
        if (lastK > 0) {
            List<RoundResult> done = store.rounds();
            for (RoundResult r : done.subList(Math.max(0, done.size() - lastK), done.size())) {
                store.model(r.modelVersion(), model.weightSpecs()).ifPresent(recent::addLast);
            }
        }
    }

    /**
     * The final model of another federation: a model file (.fedmil), or a coordinator state folder, whose latest
     * round's global model is taken.
     *
     * @throws IllegalArgumentException when it is of another model than {@code spec}, or holds no round
     */
    public static TensorSet otherRun(Path path, ModelSpec spec, MilModel like) {
        if (Files.isDirectory(path)) {
            StateStore other = new StateStore(path);
            List<RoundResult> done = other.rounds();
            if (done.isEmpty()) {
                throw new IllegalArgumentException("evaluation.ensemble_models: state folder " + path + " records no "
                        + "completed round (metrics.json); name a federation that has finished rounds");
            }
            long version = done.get(done.size() - 1).modelVersion();
            return other.model(version, like.weightSpecs()).orElseThrow(() -> new IllegalArgumentException(
                    "evaluation.ensemble_models: " + path + " lists model v" + version + " in metrics.json but has no "
                            + "models/ file for it"));
        }
        ModelFile f = ModelFile.read(path);
        if (!f.spec().equals(spec)) {
            throw new IllegalArgumentException("evaluation.ensemble_models: " + path + " holds a model of " + f.spec()
                    + " but this federation trains " + spec + "; an ensemble averages models of one architecture");
        }
        return f.weights();
    }

    @Override
    public synchronized void roundCompleted(RoundResult result, GlobalModel global) {
        try {
            ExtraHeldOutMetrics row = evaluate(result, global.weights());
            rows.removeIf(r -> r.round() == row.round());
            rows.add(row);
            byte[] json = StateStore.JSON.writeValueAsBytes(rows);
            AtomicFiles.write(file, o -> o.write(json));
            out.println(line(row));
        } catch (IOException e) {
            log.warn("round {}: extra held-out scores not written to {}: {}", result.round(), file, e.toString());
        }
    }

    private ExtraHeldOutMetrics evaluate(RoundResult result, TensorSet weights) {
        if (lastK > 0) {
            recent.addLast(weights);
            while (recent.size() > lastK) {
                recent.removeFirst();
            }
        }
        Double ttaAuc = null;
        if (tta.isPresent()) {
            model.setWeights(weights);
            ttaAuc = tta.get().evaluate(model, bags).auc();
        }
        Double lastRoundsAuc = lastK > 0 ? new ModelEnsemble(List.copyOf(recent)).evaluate(model, bags, Optional.empty())
                .auc() : null;
        Double runsAuc = null;
        if (!otherRuns.isEmpty()) {
            List<TensorSet> members = new ArrayList<>(otherRuns);
            members.add(0, weights);
            runsAuc = new ModelEnsemble(members).evaluate(model, bags, Optional.empty()).auc();
        }
        return new ExtraHeldOutMetrics(result.round(), result.modelVersion(), bags.size(), result.heldout().auc(),
                ttaAuc, tta.map(TestTimeAugmentation::viewCount).orElse(null), lastRoundsAuc,
                lastK > 0 ? recent.size() : null, runsAuc, otherRuns.isEmpty() ? null : otherRuns.size() + 1);
    }

    /** "  held-out extra: auc 0.9012 | tta(8) 0.9100 | last 3 0.9050 | 3 runs 0.9200". */
    static String line(ExtraHeldOutMetrics r) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  held-out extra, round %d: auc %s",
                r.round(), org.fedmil.coordinator.state.RoundTable.fixed(r.auc())));
        if (r.ttaAuc() != null) {
            b.append(String.format(Locale.ROOT, " | tta(%d views) %.4f", r.ttaViews(), r.ttaAuc()));
        }
        if (r.lastRoundsAuc() != null) {
            b.append(String.format(Locale.ROOT, " | last %d models %.4f", r.lastRoundsModels(), r.lastRoundsAuc()));
        }
        if (r.runsAuc() != null) {
            b.append(String.format(Locale.ROOT, " | %d federations %.4f", r.runsModels(), r.runsAuc()));
        }
        return b.toString();
    }

    /** Rows written so far, oldest round first. */
    public synchronized List<ExtraHeldOutMetrics> rows() {
        return List.copyOf(rows);
    }

    @Override
    public void close() {
        model.close();
    }
}
