package org.fedmil.site.cli;

import ai.djl.Device;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.explain.BagExplanation;
import org.fedmil.site.explain.BagSelection;
import org.fedmil.site.explain.Explainer;
import org.fedmil.site.explain.ExplanationFiles;
import org.fedmil.site.explain.ExplanationPage;
import org.fedmil.site.model.LocalModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil site explain}: which instances (tiles) the global model attended to in each bag, written as CSV
 * files and one self-contained HTML page. Entirely local: it reads the site's bags and a model file, opens no
 * network connection and sends nothing (it has no coordinator client).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Show which instances (tiles) the global model attended to in each bag: CSV files and a "
                + "self-contained HTML page.",
                "Runs offline: opens no network connection, sends nothing, writes only under --out."})
public final class ExplainCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "site.yaml",
            description = "The agent's site.yaml: reads data_dir, and the model the agent kept in state_dir.")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "The bags (bags.csv + bags/); overrides data_dir.")
    Path data;

    @Option(names = "--model", paramLabel = "FILE",
            description = "A model file (.fedmil); default <state_dir>/" + LocalModelStore.GLOBAL_MODEL_FILE + ".")
    Path model;

    @Option(names = "--bags", split = ",", paramLabel = "ID",
            description = "Bags to explain, comma-separated. Default: up to " + BagSelection.DEFAULT_LIMIT
                    + " bags, positives first.")
    List<String> bags;

    @Option(names = "--encoder", paramLabel = "FILE", description = "For a model whose encoder block was "
            + "fine-tuned in the federation: the encoder file (its SHA-256 is checked); default encoder_file of "
            + "--config.")
    Path encoder;

    @Option(names = "--all", description = "Explain every bag.")
    boolean all;

    @Option(names = "--top", defaultValue = "50", paramLabel = "N",
            description = "Instances per bag shown on the page (the CSV files hold all); default ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where to write; default <state_dir>/explain, or explain/ next to --model.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (bags != null && all) {
            throw new IllegalArgumentException("pass either --bags or --all, not both");
        }
        if (top < 1) {
            throw new IllegalArgumentException("--top is " + top + "; show at least 1 instance per bag");
        }
        SiteConfig site = config == null ? null : SiteConfig.load(config);
        Path dataDir = data != null ? data : site != null ? site.dataDir() : null;
        if (dataDir == null) {
            throw new IllegalArgumentException("say where the bags and the model are: --config site.yaml, or "
                    + "--data DIR and --model FILE");
        }
        Path modelFile = model != null ? model : site != null
                ? LocalModelStore.globalModelFile(site.stateDir()) : null;
        if (modelFile == null) {
            throw new IllegalArgumentException("say which model to explain: --model FILE, or --config site.yaml to "
                    + "use the global model the agent keeps in state_dir");
        }
        if (!Files.exists(modelFile)) {
            throw new IllegalArgumentException("no model file at " + modelFile + (model == null
                    ? ": this site has not yet received a global model. Run the agent first ('fedmil site run "
                    + "--config " + config + "'), which keeps the latest one there, or pass --model FILE"
                    : "; check --model, or use --config site.yaml for the global model the agent kept"));
        }
        Path outDir = out != null ? out : site != null ? site.stateDir().resolve("explain")
                : modelFile.toAbsolutePath().getParent().resolve("explain");

        ModelFile saved = ModelFile.read(modelFile);
        Path encoderFile = encoder != null ? encoder : site != null ? site.encoderFile() : null;
        if (saved.fineTunedBlock().isPresent() && encoderFile == null) {
            throw new IllegalArgumentException("the model in " + modelFile + " fine-tuned "
                    + saved.fineTunedBlock().get().describe() + ": give that encoder file (--encoder FILE, or "
                    + "encoder_file in site.yaml with --config)");
        }
        // a fine-tuned encoder's model reads tiles at the block's format; any other reads what its spec says
        org.fedmil.mil.model.ModelSpec reading = saved.fineTunedBlock().map(b -> b.readingSpec(saved.spec()))
                .orElse(saved.spec());
        if (!reading.readsTiles() && Files.isDirectory(dataDir.resolve(BagDataset.TILES_DIR))) {
            throw new IllegalArgumentException("the model in " + modelFile + " (" + saved.spec() + ") reads feature "
                    + "vectors but " + dataDir + " holds image tiles (" + BagDataset.TILES_DIR + "/); explain a "
                    + "model trained on tiles (encoder cnn)");
        }
        // the model's spec says how to read the bags: feature matrices as they are, tiles at its tile format
        BagDataset dataset = reading.open(dataDir);
        if (reading.inputDim() != dataset.dim()) {
            throw new IllegalArgumentException("the model in " + modelFile + " (" + saved.spec() + ") expects "
                    + reading.inputDim() + " values per instance but the bags in " + dataDir + " have "
                    + dataset.dim() + "; explain a model trained on bags like these");
        }
        List<BagEntry> entries = BagDataset.readIndex(dataDir); // in the order of dataset.bags()
        List<Integer> chosen = bags != null ? BagSelection.named(entries, dataDir, bags)
                : all ? BagSelection.all(entries) : BagSelection.positivesFirst(entries, BagSelection.DEFAULT_LIMIT);

        Device device = Devices.choose(site != null ? site.device() : "auto");
        List<BagExplanation> explained = new ArrayList<>(chosen.size());
        try (MilModel milModel = saved.newModel(device, encoderFile)) {
            Explainer explainer = new Explainer(milModel, dataset);
            for (int i : chosen) {
                // one bag in memory at a time: a tile bag is decoded here, and only the numbers are kept
                Bag bag = dataset.bags().get(i);
                if (!bag.id().equals(entries.get(i).id())) {
                    throw new IllegalStateException("bag #" + i + " of " + dataDir + " is '" + bag.id()
                            + "' but bags.csv lists '" + entries.get(i).id() + "' there");
                }
                explained.add(explainer.explain(bag));
            }
        }
        ExplanationFiles files = new ExplanationFiles(outDir);
        files.write(explained, new ExplanationPage(top), context(modelFile, saved, dataDir));

        PrintWriter print = spec.commandLine().getOut();
        print.printf("explained %d of %d bags in %s with %s%n", explained.size(), dataset.size(), dataDir,
                describe(saved));
        print.printf("  page     %s%n  summary  %s%n  per bag  %s (%d files)%n", files.page(), files.summary(),
                files.bagCsv("<bag_id>"), explained.size());
        print.println("Nothing was sent: explain works offline and these files stay at this site.");
        print.flush();
        return 0;
    }

    private static ExplanationPage.Context context(Path modelFile, ModelFile saved, Path dataDir) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model file", modelFile.toAbsolutePath().toString());
        facts.put("model", saved.spec().toString());
        saved.metadata().forEach(facts::putIfAbsent);
        facts.put("bags from", dataDir.toAbsolutePath().toString());
        facts.put("generated", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return new ExplanationPage.Context("What the model looked at", facts);
    }

    private static String describe(ModelFile saved) {
        Map<String, String> m = saved.metadata();
        String version = m.containsKey("model_version") ? "global model v" + m.get("model_version") : "the model";
        String federation = m.containsKey("federation_id") ? " of federation '" + m.get("federation_id") + "'" : "";
        return version + federation + " (" + saved.spec() + ")";
    }
}
