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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ContrastiveViews;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.ContrastiveTrainer;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.PretrainingOptions;
import org.fedmil.mil.train.PretrainingResult;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.TensorSet;

/**
 * Few labelled bags, with and without federated self-supervised pretraining: in each split only a fraction of
 * every site's training bags keeps its label; the others serve pretraining alone. Two federated arms start from the
 * same seeded model: one runs the supervised FedAvg rounds on the labelled bags only, the other first runs
 * pretraining rounds (every site trains the encoder contrastively on the tiles of all its bags, FedAvg over the
 * encoder deltas) and then the same supervised rounds. Both use the production {@link ContrastiveTrainer},
 * {@link LocalTrainer} and {@link FedAvg}; the network path is covered by the end-to-end tests.
 */
public final class PretrainingBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(org.fedmil.mil.eval.MetricsJson.module()); // undefined metrics as null, not "NaN"

    private final Recipe recipe;
    private final Device device;
    private final int pretrainRounds;
    private final PretrainingOptions pretraining;
    private final double colourJitter;
    private final int maxShift;
    private final Path results;
    private final PrintStream progress;
    private final LocalTrainer trainer = new LocalTrainer();
    private final ContrastiveTrainer contrastive = new ContrastiveTrainer();

    /** @param pretraining the per-round site options; its seed is replaced per split, site and round */
    public PretrainingBenchmark(Recipe recipe, Device device, int pretrainRounds, PretrainingOptions pretraining,
                                Path results, PrintStream progress) {
        if (pretrainRounds < 1) {
            throw new IllegalArgumentException("the pretraining comparison needs at least 1 pretraining round, got "
                    + pretrainRounds);
        }
        this.recipe = recipe;
        this.device = device;
        this.pretrainRounds = pretrainRounds;
        this.pretraining = pretraining;
        this.colourJitter = pretraining.colourJitter();
        this.maxShift = pretraining.maxShift();
        this.results = results;
        this.progress = progress;
    }

    /** Arm names as they appear in the results file. */
    static String armWithout(double fraction) {
        return String.format(Locale.ROOT, "federated|labelled=%s", fraction);
    }

    static String armWith(double fraction, int rounds) {
        return String.format(Locale.ROOT, "federated+pretrain%d|labelled=%s", rounds, fraction);
    }

    /**
     * Both arms on {@code split} for every labelled fraction: the pretraining rounds run once per split (they read
     * no label), then each fraction's supervised federation runs from the initial and from the pretrained model.
     */
    public List<RunRecord> run(BenchSplit split, ModelSpec spec, List<Double> fractions) {
        for (double fraction : fractions) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("labelled fraction must be in (0, 1], got " + fraction);
            }
        }
        List<RunRecord> out = new ArrayList<>();
        try (MilModel model = MilModel.create(spec, device, split.seed())) {
            TensorSet initial = model.weights();
            long t0 = System.nanoTime();
            TensorSet pretrained = pretrain(model, split);
            double pretrainSeconds = (System.nanoTime() - t0) / 1e9;
            progress.printf(Locale.ROOT, "%s seed %d: %d pretraining rounds in %.0f s%n", split.dataset(),
                    split.seed(), pretrainRounds, pretrainSeconds);
            for (double fraction : fractions) {
                List<List<Bag>> labelled = labelledBags(split, fraction);
                int labelledCount = labelled.stream().mapToInt(List::size).sum();
                if (labelledCount == 0) {
                    throw new IllegalArgumentException("a labelled fraction of " + fraction + " leaves no labelled "
                            + "bag at any site of split " + split.seed() + "; raise --labelled-fraction");
                }
                progress.printf(Locale.ROOT, "%s seed %d: %d of %d training bags labelled (per site %s)%n",
                        split.dataset(), split.seed(), labelledCount, split.trainingBags(),
                        labelled.stream().map(l -> Integer.toString(l.size())).toList());
                t0 = System.nanoTime();
                supervised(model, initial, labelled, split);
                out.add(record(split, armWithout(fraction), labelledCount, model, (System.nanoTime() - t0) / 1e9));
                t0 = System.nanoTime();
                supervised(model, pretrained, labelled, split);
                out.add(record(split, armWith(fraction, pretrainRounds), labelledCount, model,
                        pretrainSeconds + (System.nanoTime() - t0) / 1e9));
            }
        }
        return out;
    }

    /** Per site, a seeded random {@code fraction} of its bags (rounded), read into memory. */
    private static List<List<Bag>> labelledBags(BenchSplit split, double fraction) {
        List<List<Bag>> out = new ArrayList<>();
        for (int s = 0; s < split.sites().size(); s++) {
            BagDataset site = split.sites().get(s);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < site.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(split.seed() * 7_919L + s));
            int keep = (int) Math.round(fraction * site.size());
            List<Bag> bags = new ArrayList<>(keep);
            for (int i = 0; i < keep; i++) {
                bags.add(site.bags().get(order.get(i)));
            }
            out.add(List.copyOf(bags));
        }
        return out;
    }

    /**
     * Pretraining rounds: each site pretrains the encoder from the global weights on all its bags, its encoder
     * delta is folded into FedAvg weighted by its bag count, as the coordinator does. Returns the final weights.
     */
    private TensorSet pretrain(MilModel model, BenchSplit split) {
        TensorSet global = model.weights();
        ContrastiveViews views = new ContrastiveViews(split.heldout().tileFormat().orElseThrow(), colourJitter,
                maxShift);
        for (int round = 1; round <= pretrainRounds; round++) {
            TensorSet globalEncoder = EncoderPart.of(global);
            FedAvg fedAvg = new FedAvg();
            fedAvg.beginRound(globalEncoder.specs());
            double lossSum = 0;
            long bags = 0;
            for (int s = 0; s < split.sites().size(); s++) {
                BagDataset site = split.sites().get(s);
                model.setWeights(global);
                PretrainingResult r = contrastive.train(model, site.bags(), views, withSeed(
                        split.seed() * 1_000_003L + s * 31L + round + 500_000L));
                fedAvg.accept(EncoderPart.of(model.weights()).minus(globalEncoder), site.size());
                lossSum += r.meanLoss() * site.size();
                bags += site.size();
            }
            global = EncoderPart.replace(global, fedAvg.finish(globalEncoder));
            progress.printf(Locale.ROOT, "  pretraining round %d: mean NT-Xent %.4f%n", round, lossSum / bags);
        }
        return global;
    }

    private PretrainingOptions withSeed(long seed) {
        PretrainingOptions p = pretraining;
        return new PretrainingOptions(p.epochs(), p.learningRate(), p.weightDecay(), p.batchSize(), p.temperature(),
                p.projectionDim(), p.colourJitter(), p.maxShift(), p.maxTiles(), seed);
    }

    /**
     * The supervised FedAvg rounds from {@code start}, on the labelled bags only (a site without one sits out);
     * leaves the final model in {@code model}. The held-out set is scored once, at the end: scoring it every
     * round would cost more than these few labelled bags' training.
     */
    private void supervised(MilModel model, TensorSet start, List<List<Bag>> labelled, BenchSplit split) {
        TensorSet global = start;
        model.setWeights(global);
        for (int round = 1; round <= recipe.rounds(); round++) {
            FedAvg fedAvg = new FedAvg();
            fedAvg.beginRound(model.weightSpecs());
            for (int s = 0; s < labelled.size(); s++) {
                List<Bag> bags = labelled.get(s);
                if (bags.isEmpty()) {
                    continue;
                }
                long positives = bags.stream().filter(b -> b.label() == 1).count();
                model.setWeights(global);
                long seed = split.seed() * 1_000_003L + s * 31L + round;
                trainer.train(model, bags, new TrainingOptions(recipe.localEpochs(), recipe.learningRate(),
                        recipe.weightDecay(), seed, recipe.loss().forSite(new LabelCounts(bags.size() - positives,
                        positives)), recipe.augmentation()));
                fedAvg.accept(model.weights().minus(global), bags.size());
            }
            global = fedAvg.finish(global);
            model.setWeights(global);
        }
    }

    private RunRecord record(BenchSplit split, String arm, int labelledBags, MilModel model, double seconds) {
        List<Bag> heldout = split.heldout().bags();
        MilModel.Scores scores = model.score(heldout);
        BinaryMetrics m = BinaryMetrics.of(scores.labels(), scores.probabilities());
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(scores.labels(), scores.probabilities());
        double localisation = split.instanceLabels().isEmpty() ? Double.NaN
                : LocalisationAuc.of(model, heldout, split.instanceLabels());
        RunRecord r = new RunRecord(split.dataset(), split.seed(), model.spec().architecture().configName(), arm,
                labelledBags, heldout.size(), m.auc(), ci.lower(), ci.upper(), m.sensitivity(), m.specificity(),
                localisation, seconds, recipe.rounds(), split.sites().size(), null, null,
                null, null, null, null, null, null);
        append(r);
        progress.printf(Locale.ROOT, "%-12s seed %-3d %-32s labelled bags %4d  AUC %.3f [%.3f, %.3f]  %.0f s%n",
                r.dataset(), r.seed(), r.arm(), labelledBags, r.auc(), r.aucLower(), r.aucUpper(), r.seconds());
        return r;
    }

    private void append(RunRecord record) {
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
}
