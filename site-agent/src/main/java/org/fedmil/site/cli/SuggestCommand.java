package org.fedmil.site.cli;

import ai.djl.Device;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fedmil.mil.active.BagUncertainty;
import org.fedmil.mil.active.Uncertainty;
import org.fedmil.mil.active.UncertaintyRanking;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.suggest.SuggestionFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil site suggest}: which of the site's unlabeled bags (empty label in bags.csv) to label next, ranked
 * by how uncertain the global model is about them. Entirely local, like {@code explain}: it reads the site's bags
 * and the model the agent kept, opens no network connection and has no coordinator client; the list is printed
 * and written under the site's state folder only.
 */
@Command(name = "suggest", mixinStandardHelpOptions = true,
        description = {"Rank the site's unlabeled bags (empty label in bags.csv) by the global model's uncertainty, "
                + "most uncertain first: the bags worth labelling next.",
                "Runs offline: opens no network connection, sends nothing, writes only --out."})
public final class SuggestCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "site.yaml",
            description = "The agent's site.yaml: reads data_dir, and the model the agent kept in state_dir.")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "The bags (bags.csv + bags/ or tiles/); overrides "
            + "data_dir.")
    Path data;

    @Option(names = "--model", paramLabel = "FILE",
            description = "A model file (.fedmil); default <state_dir>/" + LocalModelStore.GLOBAL_MODEL_FILE + ".")
    Path model;

    @Option(names = "--by", defaultValue = "entropy", paramLabel = "MEASURE",
            description = "entropy (of the bag probability; default), instance_disagreement (attention-weighted "
                    + "spread of the instances' own probabilities) or view_disagreement (spread of the probability "
                    + "over flipped/rotated views; tile bags with --tta) or balanced_entropy (entropy order, taken "
                    + "alternately from the predicted-positive and predicted-negative bags).")
    String by;

    @Option(names = "--tta", defaultValue = "none", paramLabel = "VIEWS",
            description = "Tile bags: score each bag as the mean over views: none (default), flips, rotations or all.")
    String tta;

    @Option(names = "--top", defaultValue = "20", paramLabel = "N",
            description = "Bags printed (the file lists all); default ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--out", paramLabel = "FILE",
            description = "The ranked CSV; default <state_dir>/suggest/suggestions.csv, or suggestions.csv next to "
                    + "--model.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Uncertainty measure = Uncertainty.fromConfigName(by);
        if (!List.of("none", "flips", "rotations", "all").contains(tta)) {
            throw new IllegalArgumentException("--tta is '" + tta + "'; expected none, flips, rotations or all");
        }
        if (top < 1) {
            throw new IllegalArgumentException("--top is " + top + "; print at least 1 bag");
        }
        SiteConfig site = config == null ? null : SiteConfig.load(config);
        Path dataDir = data != null ? data : site != null ? site.dataDir() : null;
        Path modelFile = model != null ? model : site != null ? LocalModelStore.globalModelFile(site.stateDir()) : null;
        if (dataDir == null || modelFile == null) {
            throw new IllegalArgumentException("say where the bags and the model are: --config site.yaml, or "
                    + "--data DIR and --model FILE");
        }
        if (!Files.exists(modelFile)) {
            throw new IllegalArgumentException("no model file at " + modelFile + (model == null
                    ? ": this site has not yet received a global model. Run the agent first ('fedmil site run "
                    + "--config " + config + "'), which keeps the latest one there, or pass --model FILE"
                    : "; check --model, or use --config site.yaml for the global model the agent kept"));
        }
        Path outFile = out != null ? out : site != null ? site.stateDir().resolve("suggest").resolve("suggestions.csv")
                : modelFile.toAbsolutePath().getParent().resolve("suggestions.csv");

        ModelFile saved = ModelFile.read(modelFile);
        BagDataset dataset = saved.spec().open(dataDir);
        if (saved.spec().inputDim() != dataset.dim()) {
            throw new IllegalArgumentException("the model in " + modelFile + " (" + saved.spec() + ") expects "
                    + saved.spec().inputDim() + " values per instance but the bags in " + dataDir + " have "
                    + dataset.dim() + "; rank with a model trained on bags like these");
        }
        Optional<TestTimeAugmentation> views = Optional.empty();
        if (!tta.equals("none")) {
            if (dataset.tileFormat().isEmpty()) {
                throw new IllegalArgumentException("--tta " + tta + " flips and rotates image tiles, but " + dataDir
                        + " holds feature vectors; leave --tta out");
            }
            boolean flips = tta.equals("flips") || tta.equals("all");
            boolean rotations = tta.equals("rotations") || tta.equals("all");
            views = Optional.of(new TestTimeAugmentation(new TileAugmentation(dataset.tileFormat().get(), flips,
                    rotations)));
        }
        PrintWriter console = spec.commandLine().getOut();
        if (dataset.unlabeled().isEmpty()) {
            console.printf("every bag in %s is labelled (no empty label in %s): nothing to suggest%n", dataDir,
                    BagDataset.INDEX_FILE);
            console.flush();
            return 0;
        }
        Device device = Devices.choose(site != null ? site.device() : "auto");
        List<BagUncertainty> ranked;
        try (MilModel milModel = saved.newModel(device)) {
            ranked = new UncertaintyRanking(views).rank(milModel, dataset.unlabeled(), measure);
        }
        SuggestionFile.write(outFile, ranked);
        console.printf(Locale.ROOT, "%d unlabeled bags in %s ranked by %s under the model in %s (%s); most uncertain "
                + "first:%n", ranked.size(), dataDir, measure.configName(), modelFile,
                saved.metadata().getOrDefault("model_version", "version unknown"));
        console.printf("%5s  %-24s %11s %8s %22s%n", "rank", "bag_id", "probability", "entropy",
                "instance_disagreement");
        for (int i = 0; i < Math.min(top, ranked.size()); i++) {
            BagUncertainty u = ranked.get(i);
            console.printf(Locale.ROOT, "%5d  %-24s %11.4f %8.4f %22.6f%n", i + 1, u.bagId(), u.probability(),
                    u.entropy(), u.instanceDisagreement());
        }
        console.printf("all %d written to %s (stays at this site; nothing was sent)%n", ranked.size(), outFile);
        console.flush();
        return 0;
    }
}
