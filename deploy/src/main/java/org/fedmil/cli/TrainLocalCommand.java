package org.fedmil.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.encoder.EncoderFineTuning;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil train-local}: the baselines a federation is judged against. One folder is one site training alone;
 * several folders are pooled, the centralised upper bound no real consortium could build. The model, loss and
 * evaluation are the federation's own, so the numbers sit side by side with a federated run's.
 */
@Command(name = "train-local", mixinStandardHelpOptions = true,
        description = {"Train the federation's model on local folders only (one site alone, or several pooled = "
                + "centralised) and evaluate it on a held-out set.",
                "Tile folders (tiles/<bag_id>/) need --tile-size and --channels; feature folders (bags/*.npy) "
                        + "do not."})
public final class TrainLocalCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, split = ",", description = "site folder(s) to train on; "
            + "several are pooled")
    List<Path> data;

    @Option(names = "--heldout", required = true, description = "held-out folder to evaluate on")
    Path heldout;

    @Option(names = "--architecture", defaultValue = "attention",
            description = "attention, gated_attention, mean or max (default ${DEFAULT-VALUE})")
    String architecture;

    @Option(names = "--tile-size", description = "side tiles are resized to (tile folders only)")
    Integer tileSize;

    @Option(names = "--channels", description = "1 (grey) or 3 (RGB) (tile folders only)")
    Integer channels;

    @Option(names = "--hidden-dim", defaultValue = "64")
    int hiddenDim;

    @Option(names = "--attention-dim", defaultValue = "32")
    int attentionDim;

    @Option(names = "--epochs", defaultValue = "50", description = "the most passes over the data; early stopping "
            + "may end sooner (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--validation-fraction", defaultValue = "0.2", description = "share of each class of each "
            + "folder kept back to validate on and never trained on, chosen by bag id as a site chooses; 0 turns "
            + "validation and early stopping off (default ${DEFAULT-VALUE})")
    double validationFraction;

    @Option(names = "--validation-seed", defaultValue = "0", description = "another seed keeps other bags back, "
            + "as a site's validation.seed (default ${DEFAULT-VALUE})")
    long validationSeed;

    @Option(names = "--patience", defaultValue = "10", description = "stop after this many epochs without a lower "
            + "validation loss, and keep the best epoch's weights; 0 runs every epoch (default ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--min-epochs", defaultValue = "10", description = "no early stop before this epoch "
            + "(default ${DEFAULT-VALUE})")
    int minEpochs;

    @Option(names = "--learning-rate", defaultValue = "5e-4")
    double learningRate;

    @Option(names = "--weight-decay", defaultValue = "1e-4", description = "L2 penalty (default ${DEFAULT-VALUE}, "
            + "as the coordinator's training.weight_decay)")
    double weightDecay;

    @Option(names = "--loss", defaultValue = "cross_entropy", description = "cross_entropy, focal or gce")
    String loss;

    @Option(names = "--gce-q", defaultValue = "0.7", description = "q of the gce loss, in (0, 1]")
    double gceQ;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "ε in [0, 0.5]; 0 for hard labels")
    double labelSmoothing;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, adamw or sgd")
    String optimizer;

    @Option(names = "--momentum", defaultValue = "0", description = "sgd's momentum")
    double momentum;

    @Option(names = "--nesterov", description = "sgd with momentum: Nesterov's form")
    boolean nesterov;

    @Option(names = "--bags-per-step", defaultValue = "1", description = "bags averaged into one optimiser step "
            + "(gradient accumulation)")
    int bagsPerStep;

    @Option(names = "--schedule", defaultValue = "constant", description = "constant or cosine (over the epochs, "
            + "step by step; reduce_on_plateau needs a federation's rounds)")
    String schedule;

    @Option(names = "--warmup-epochs", defaultValue = "0", description = "cosine: epochs of linear warm-up")
    double warmupEpochs;

    @Option(names = "--focal-gamma", defaultValue = "2")
    double focalGamma;

    @Option(names = "--class-weights", defaultValue = "balanced", description = "balanced (each class weighs alike; "
            + "validation then measures the class-balanced loss) or none")
    String classWeights;

    @Option(names = "--augment", description = "tile augmentation: flips, rotations or both (flips,rotations)",
            split = ",")
    List<String> augment = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu(N)")
    String device;

    @Option(names = "--out", description = "write the trained model here (a .fedmil model file)")
    Path out;

    @Option(names = "--encoder", paramLabel = "FILE", description = "a pretrained TorchScript encoder whose last "
            + "block trains with the MIL head on the tile folders (needs --encoder-fine-tune last_block, "
            + "--tile-size, --channels); a frozen encoder is run once by 'fedmil data features' instead")
    Path encoder;

    @Option(names = "--encoder-fine-tune", defaultValue = "none", description = "none or last_block (default "
            + "${DEFAULT-VALUE})")
    String encoderFineTune;

    @Option(names = "--encoder-trainable-prefix", paramLabel = "PREFIX", description = "parameter-name prefix of "
            + "the block that trains (e.g. layer4.); default: the encoder's last top-level child with parameters")
    String encoderTrainablePrefix;

    @Option(names = "--normalise", defaultValue = "imagenet", description = "with --encoder: how tiles are prepared, "
            + "imagenet or none (default ${DEFAULT-VALUE})")
    String normalise;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        PrintWriter console = command.commandLine().getOut();
        TileFormat format = tileSize == null && channels == null ? null : new TileFormat(
                require(channels, "--channels"), require(tileSize, "--tile-size"));
        List<BagDataset> sites = new ArrayList<>();
        for (Path dir : data) {
            sites.add(format == null ? BagDataset.load(dir) : BagDataset.load(dir, format));
        }
        BagDataset test = format == null ? BagDataset.load(heldout) : BagDataset.load(heldout, format);
        Architecture a = Architecture.fromConfigName(architecture);
        EncoderToFineTune fineTuned = EncoderToFineTune.of(encoder, EncoderFineTuning.parse(encoderFineTune,
                encoderTrainablePrefix), format, normalise, Devices.choose(device)).orElse(null);
        ModelSpec spec = fineTuned != null ? new ModelSpec(a, fineTuned.featureWidth(), hiddenDim, attentionDim)
                : format == null ? new ModelSpec(a, test.dim(), hiddenDim, attentionDim)
                : ModelSpec.cnn(a, format.channels(), format.size(), hiddenDim, attentionDim);
        if (fineTuned != null) {
            if (out != null) {
                throw new IllegalArgumentException("--out: a model whose encoder block was fine-tuned cannot be "
                        + "written as a model file yet; leave --out off");
            }
            console.println(fineTuned.describe());
        }
        LossConfig lossConfig = new LossConfig(LossConfig.Kind.fromConfigName(loss), focalGamma,
                LossConfig.ClassWeighting.fromConfigName(classWeights), gceQ, labelSmoothing);
        LearningRateSchedule.Kind scheduleKind = LearningRateSchedule.Kind.fromConfigName(schedule);
        if (scheduleKind == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU) {
            throw new IllegalArgumentException("--schedule reduce_on_plateau is decided by a coordinator from its "
                    + "sites' federated validation loss after every round; train-local has no rounds: use constant or cosine");
        }
        if (scheduleKind == LearningRateSchedule.Kind.COSINE && !(warmupEpochs >= 0 && warmupEpochs < epochs)) {
            throw new IllegalArgumentException("--warmup-epochs (" + warmupEpochs + ") must be 0 or more and fewer "
                    + "than --epochs (" + epochs + "), or the cosine never starts");
        }
        LearningRateSchedule rates = scheduleKind == LearningRateSchedule.Kind.COSINE
                ? LearningRateSchedule.cosine(warmupEpochs, 0) : LearningRateSchedule.CONSTANT;
        BagAugmentation augmentation = BagAugmentation.NONE;
        if (!augment.isEmpty()) {
            if (format == null) {
                throw new IllegalArgumentException("--augment applies to tile folders only");
            }
            TileAugmentation t = new TileAugmentation(format, augment.contains("flips"), augment.contains("rotations"));
            augmentation = t::apply;
        }
        // epochs in the role of rounds, so that a cosine's warm-up is counted in epochs
        ValidationSplit split;
        try {
            split = new ValidationSplit(validationFraction, validationSeed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--validation-fraction: " + e.getMessage());
        }
        LocalBaseline baseline = new LocalBaseline(spec, Devices.choose(device), seed, epochs, learningRate,
                weightDecay, lossConfig, augmentation,
                new OptimizerConfig(OptimizerConfig.Kind.fromConfigName(optimizer), momentum, nesterov), rates,
                bagsPerStep, new LocalBaseline.Stopping(split, patience, minEpochs), line -> {
                    console.println(line);
                    console.flush();
                }, fineTuned != null ? () -> fineTuned.model(spec, seed)
                : () -> MilModel.create(spec, Devices.choose(device), seed));
        int bags = sites.stream().mapToInt(BagDataset::size).sum();
        int validation = baseline.validationBags(sites);
        console.printf(Locale.ROOT, "training %s on %d bags from %d folder(s)%s for %d epochs%s%n", spec, bags,
                sites.size(), sites.size() > 1 ? " pooled (centralised)" : "", epochs, validation == 0
                        ? (split.enabled() ? " (too few bags for a validation split: all train, no early stopping)"
                        : "") : String.format(Locale.ROOT, " at most: %d of them kept for validation and never "
                        + "trained on, %s", validation, patience == 0 ? "every epoch runs, the best is kept"
                        : "stopping after " + patience + " epochs without a lower validation loss"));
        try (LocalBaseline.Trained trained = sites.size() == 1 ? baseline.localOnly(sites.get(0))
                : baseline.centralised(sites)) {
            MilModel model = trained.model();
            MilModel.Scores scores = model.score(test.bags());
            int[] labels = scores.labels();
            float[] p = scores.probabilities();
            BinaryMetrics m = BinaryMetrics.of(labels, p);
            AucInterval ci = BinaryMetrics.aucConfidenceInterval(labels, p);
            console.println("held-out " + heldout + " (" + labels.length + " bags): " + m.summary(ci));
            printChecks(console, trained, lossConfig, labels, p, ci);
            if (out != null) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("trained_by", "fedmil train-local");
                meta.put("data", data.toString());
                meta.put("epochs", Integer.toString(epochs));
                meta.put("validation_fraction", Double.toString(validationFraction));
                meta.put("heldout_auc", Double.isNaN(m.auc()) ? "n/a" : String.format(Locale.ROOT, "%.4f", m.auc()));
                ModelFile.write(out, spec, model.weights(), meta);
                console.println("model written to " + out);
            }
        }
        console.flush();
        return 0;
    }

    /**
     * The training loss beside a constant guess's, then one line per warning of {@link LearningCheck}: the training
     * data of one class, a loss still at the constant guess's, and the held-out set's checks.
     */
    private void printChecks(PrintWriter console, LocalBaseline.Trained trained, LossConfig lossConfig, int[] labels,
                             float[] p, AucInterval ci) {
        double constant = LearningCheck.constantPredictorLoss(lossConfig, trained.counts());
        console.printf(Locale.ROOT, "training loss %.4f in the last epoch (a constant guess scores %.4f)%n",
                trained.result().meanLoss(), constant);
        List<LearningWarning> warnings = new ArrayList<>();
        LearningCheck.site(data.size() == 1 ? data.get(0).toString() : "pooled " + data,
                trained.counts().negatives(), trained.counts().positives()).ifPresent(warnings::add);
        LearningCheck.trainingLoss(trained.result().meanLoss(), constant, epochs).ifPresent(warnings::add);
        warnings.addAll(LearningCheck.scoredSet("held-out set", labels, p, ci, true));
        warnings.forEach(console::println);
    }

    private static int require(Integer value, String option) {
        if (value == null) {
            throw new IllegalArgumentException("tile folders need both --tile-size and --channels; " + option
                    + " is missing");
        }
        return value;
    }
}
