package org.fedmil.site.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Devices;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.predict.DecisionThreshold;
import org.fedmil.site.predict.Prediction;
import org.fedmil.site.predict.PredictionFiles;
import org.fedmil.site.predict.Predictor;
import org.fedmil.site.predict.SlideHeatmap;
import org.fedmil.site.train.SiteData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil predict}: applies a trained model to new bags at the site and writes per-bag probabilities,
 * decisions, the most attended instances and, for bags cut from slides, attention heatmaps. Offline: it has no
 * coordinator client and writes only under --out.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Apply a trained model to bags (tile folders, slides cut by 'fedmil data slides', feature "
                + "bags): per-bag probability, the decision at a threshold chosen on labelled validation bags, "
                + "the most attended instances, and heatmaps over the slides.",
                "Runs offline: opens no network connection, sends nothing, writes only under --out."})
public final class PredictCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "The bags to score (bags.csv with empty labels for new cases, + tiles/ or bags/).")
    Path data;

    @Option(names = "--model", paramLabel = "FILE", description = "A model file (.fedmil): the federation's final "
            + "model or any round's; default the global model the agent kept (<state_dir>/"
            + LocalModelStore.GLOBAL_MODEL_FILE + ", needs --config).")
    Path model;

    @Option(names = "--config", paramLabel = "site.yaml", description = "The agent's site.yaml: its kept model, "
            + "and its validation bags (the agent's own split of data_dir) to choose the threshold on.")
    Path config;

    @Option(names = "--encoder", paramLabel = "FILE", description = "For a model whose encoder block was "
            + "fine-tuned in the federation: the encoder file (its SHA-256 is checked); default encoder_file of "
            + "--config.")
    Path encoder;

    @Option(names = "--threshold", paramLabel = "P", description = "Call a bag positive at or above this "
            + "probability, instead of choosing the threshold on validation bags.")
    Double threshold;

    @Option(names = "--validation", paramLabel = "DIR", description = "Labelled bags to choose the threshold on "
            + "(the one that maximises sensitivity + specificity); default the site's validation bags (--config).")
    Path validation;

    @Option(names = "--slides", paramLabel = "DIR", description = "Where the slides named in the data's "
            + "tiles_origin.csv are (the --input of 'fedmil data slides'): draws a heatmap per slide.")
    Path slides;

    @Option(names = "--top", defaultValue = "10", paramLabel = "N",
            description = "Most attended instances kept per bag (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write (kept at the site).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (top < 1) {
            throw new IllegalArgumentException("--top is " + top + "; keep at least 1 instance per bag");
        }
        SiteConfig site = config == null ? null : SiteConfig.load(config);
        Path modelFile = modelFile(site);
        PrintWriter print = spec.commandLine().getOut();
        Path encoderFile = encoder != null ? encoder : site != null ? site.encoderFile() : null;
        try (Predictor predictor = Predictor.open(modelFile, Devices.choose(site != null ? site.device() : "auto"),
                encoderFile)) {
            DecisionThreshold t = threshold(predictor, site);
            BagDataset cases = predictor.open(data);
            SlideHeatmap heatmap = slides == null ? null : SlideHeatmap.of(data, slides);
            if (slides != null && heatmap == null) {
                throw new IllegalArgumentException("--slides given, but " + data + " has no tiles_origin.csv from "
                        + "'fedmil data slides': its tiles were not cut from slides, so there is nothing to draw on");
            }
            List<Prediction> predictions = new ArrayList<>();
            Map<String, List<Path>> heatmaps = new LinkedHashMap<>();
            for (List<Bag> part : List.of(cases.bags(), cases.unlabeled())) {
                for (Bag bag : part) { // one bag decoded at a time
                    Prediction p = predictor.predict(cases, bag, t);
                    predictions.add(p);
                    if (heatmap != null) {
                        heatmaps.put(p.bagId(), heatmap.write(p, out.resolve(PredictionFiles.HEATMAPS)));
                    }
                }
            }
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("model file", modelFile.toAbsolutePath().toString());
            facts.put("model", predictor.spec().toString());
            predictor.metadata().forEach(facts::putIfAbsent);
            facts.put("bags from", data.toAbsolutePath().toString());
            PredictionFiles files = new PredictionFiles(Files.createDirectories(out));
            files.write(predictions, t, top, heatmaps, facts);
            long positive = predictions.stream().filter(p -> p.decision() == 1).count();
            print.printf(Locale.ROOT, "scored %d bags of %s: %d positive, %d negative at threshold %s%n",
                    predictions.size(), data, positive, predictions.size() - positive, t.describe());
            print.printf("  %s%n  %s%n  %s%n", out.resolve(PredictionFiles.PREDICTIONS),
                    out.resolve(PredictionFiles.TOP), out.resolve(PredictionFiles.PAGE));
            if (!heatmaps.isEmpty()) {
                print.printf("  %s (%d heatmaps)%n", out.resolve(PredictionFiles.HEATMAPS),
                        heatmaps.values().stream().mapToInt(List::size).sum());
            }
            print.println("Nothing was sent: predict works offline and these files stay at this site.");
            print.flush();
        }
        return 0;
    }

    private Path modelFile(SiteConfig site) {
        Path f = model != null ? model : site != null ? LocalModelStore.globalModelFile(site.stateDir()) : null;
        if (f == null) {
            throw new IllegalArgumentException("say which model to apply: --model FILE, or --config site.yaml for "
                    + "the global model the agent keeps");
        }
        if (!Files.exists(f)) {
            throw new IllegalArgumentException("no model file at " + f + (model == null ? ": this site has not yet "
                    + "received a global model; run the agent first, or pass --model FILE" : "; check --model"));
        }
        return f;
    }

    private DecisionThreshold threshold(Predictor predictor, SiteConfig site) {
        if (threshold != null) {
            if (validation != null) {
                throw new IllegalArgumentException("pass either --threshold or --validation, not both");
            }
            return DecisionThreshold.given(threshold);
        }
        if (validation != null) {
            return predictor.thresholdOn(predictor.open(validation).bags(), "the labelled bags in " + validation);
        }
        if (site != null) {
            SiteData own = new SiteData(site.dataDir(), site.validation().split());
            List<Bag> bags = own.validationFor(predictor.dataSpec());
            if (!bags.isEmpty()) {
                return predictor.thresholdOn(bags, "this site's validation bags (" + site.dataDir() + ")");
            }
        }
        throw new IllegalArgumentException("choose the decision threshold: --validation DIR (labelled bags; the "
                + "threshold that maximises sensitivity + specificity on them), --config site.yaml (this site's "
                + "validation bags), or --threshold P. predict does not fall back to 0.5: a model's scores are not "
                + "calibrated to it");
    }
}
