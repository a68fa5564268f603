package org.fedmil.bench.mil;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;

/**
 * Federated vs centralised vs local-only, per architecture and split: trains every arm with the same
 * {@link Recipe} from the same initial model and scores it on the split's held-out bags. Every result is
 * appended to a JSON-lines file as soon as it exists, so a long run that is stopped keeps what it finished.
 */
public final class MilBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Recipe recipe;
    private final int hiddenDim;
    private final int attentionDim;
    private final Device device;
    private final boolean localOnly;
    private final Path results;
    private final PrintStream progress;

    public MilBenchmark(Recipe recipe, int hiddenDim, int attentionDim, Device device, boolean localOnly,
                        Path results, PrintStream progress) {
        this.recipe = recipe;
        this.hiddenDim = hiddenDim;
        this.attentionDim = attentionDim;
        this.device = device;
        this.localOnly = localOnly;
        this.results = results;
        this.progress = progress;
    }

    /** Trains and scores every arm of {@code architecture} on {@code split}. */
    public List<RunRecord> run(BenchSplit split, Architecture architecture) {
        BagDataset first = split.sites().get(0);
        ModelSpec spec = first.tileFormat()
                .map(f -> ModelSpec.cnn(architecture, f.channels(), f.size(), hiddenDim, attentionDim))
                .orElseGet(() -> new ModelSpec(architecture, first.dim(), hiddenDim, attentionDim));
        Simulation simulation = new Simulation(spec, device, recipe, split.seed());
        List<RunRecord> out = new ArrayList<>();
        long t0 = System.nanoTime();
        try (MilModel federated = simulation.federated(split.sites())) {
            out.add(score(split, architecture, "federated", split.trainingBags(), federated, t0));
        }
        t0 = System.nanoTime();
        try (MilModel centralised = simulation.centralised(split.sites())) {
            out.add(score(split, architecture, "centralised", split.trainingBags(), centralised, t0));
        }
        if (localOnly) {
            for (int s = 0; s < split.sites().size(); s++) {
                BagDataset site = split.sites().get(s);
                t0 = System.nanoTime();
                try (MilModel local = simulation.localOnly(site)) {
                    out.add(score(split, architecture, "local:site-" + (s + 1), site.size(), local, t0));
                }
            }
        }
        return out;
    }

    private RunRecord score(BenchSplit split, Architecture architecture, String arm, int trainingBags,
                            MilModel model, long startNanos) {
        List<Bag> heldout = split.heldout().bags();
        MilModel.Scores scores = model.score(heldout);
        int[] labels = scores.labels();
        float[] probabilities = scores.probabilities();
        BinaryMetrics m = BinaryMetrics.of(labels, probabilities);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(labels, probabilities);
        double localisation = split.instanceLabels().isEmpty() ? Double.NaN
                : LocalisationAuc.of(model, heldout, split.instanceLabels());
        RunRecord record = new RunRecord(split.dataset(), split.seed(), architecture.configName(), arm, trainingBags,
                heldout.size(), m.auc(), ci.lower(), ci.upper(), m.sensitivity(), m.specificity(), localisation,
                (System.nanoTime() - startNanos) / 1e9);
        append(record);
        progress.printf(Locale.ROOT, "%-12s seed %-3d %-16s %-14s bags %4d  AUC %.3f [%.3f, %.3f]  loc %.3f  %.0f s%n",
                record.dataset(), record.seed(), record.architecture(), record.arm(), trainingBags, record.auc(),
                record.aucLower(), record.aucUpper(), record.localisation(), record.seconds());
        return record;
    }

    private void append(RunRecord record) {
        if (results == null) {
            return;
        }
        try {
            Path parent = results.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(results, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to results file " + results, e);
        }
    }

    /** Every record of a results file written by earlier runs. */
    public static List<RunRecord> readResults(Path file) {
        List<RunRecord> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, RunRecord.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read results file " + file, e);
        }
        return out;
    }
}
