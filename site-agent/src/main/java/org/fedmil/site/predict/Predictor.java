package org.fedmil.site.predict;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.site.explain.BagExplanation;
import org.fedmil.site.explain.Explainer;

/**
 * Applies a trained model to bags at the site: the Java API behind {@code fedmil predict}, for embedding in a
 * hospital's own systems. Local computation only; nothing is sent anywhere. Not for concurrent use; close it.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.open(Path.of("global-model.fedmil"), Devices.choose("auto"))) {
 *     DecisionThreshold t = p.thresholdOn(p.open(Path.of("/data/validation")).bags(), "validation bags");
 *     BagDataset cases = p.open(Path.of("/data/new-cases"));
 *     for (Bag bag : cases.unlabeled()) {
 *         Prediction r = p.predict(cases, bag, t); // r.probability(), r.decision(), r.top(5)
 *     }
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {

    private final ModelFile file;
    private final MilModel model;

    private Predictor(ModelFile file, MilModel model) {
        this.file = file;
        this.model = model;
    }

    public static Predictor open(Path modelFile, Device device) {
        return open(modelFile, device, null);
    }

    /**
     * As {@link #open(Path, Device)}; a model whose encoder block was fine-tuned runs on tiles through
     * {@code encoder} (the federation's encoder file, its SHA-256 checked) with the block's weights from the model
     * file, not the file's own.
     *
     * @throws IllegalArgumentException when the model needs an encoder and none is given
     */
    public static Predictor open(Path modelFile, Device device, Path encoder) {
        ModelFile saved = ModelFile.read(modelFile);
        if (saved.fineTunedBlock().isPresent() && encoder == null) {
            throw new IllegalArgumentException("the model in " + modelFile + " fine-tuned "
                    + saved.fineTunedBlock().get().describe() + ": give that encoder file (--encoder FILE, or "
                    + "encoder_file in site.yaml with --config)");
        }
        return new Predictor(saved, saved.newModel(device, encoder));
    }

    public ModelSpec spec() {
        return file.spec();
    }

    /** The spec bags are read with: tiles at the fine-tuned block's format, or the model's own. */
    public ModelSpec dataSpec() {
        return file.fineTunedBlock().map(b -> b.readingSpec(spec())).orElse(spec());
    }

    public Map<String, String> metadata() {
        return file.metadata();
    }

    /**
     * Opens a folder of bags the way the model reads them (tiles at its tile format, or feature matrices), labelled
     * or not; refuses bags of another kind or width than the model's.
     */
    public BagDataset open(Path dir) {
        ModelSpec reading = dataSpec();
        if (!reading.readsTiles() && java.nio.file.Files.isDirectory(dir.resolve(BagDataset.TILES_DIR))) {
            throw new IllegalArgumentException("the model (" + spec() + ") reads feature vectors but " + dir
                    + " holds image tiles (" + BagDataset.TILES_DIR + "/); apply a model trained on tiles (encoder "
                    + "cnn)");
        }
        BagDataset data = BagDataset.loadForPrediction(dir, reading.tileFormat());
        if (data.dim() != reading.inputDim()) {
            throw new IllegalArgumentException("the model (" + spec() + ") expects " + reading.inputDim()
                    + " values per instance but the bags in " + dir + " have " + data.dim() + "; apply a model "
                    + "trained on bags like these");
        }
        return data;
    }

    /** The threshold that maximises sensitivity + specificity of this model on labelled bags. */
    public DecisionThreshold thresholdOn(List<Bag> labelled, String where) {
        int[] labels = labelled.stream().mapToInt(Bag::label).toArray();
        float[] p = new float[labels.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = model.predictProbabilities(List.of(labelled.get(i)))[0]; // one bag decoded at a time
        }
        return DecisionThreshold.youden(labels, p, where);
    }

    /** Scores a bag of {@code data}, decides it at {@code threshold} and ranks its instances by attention. */
    public Prediction predict(BagDataset data, Bag bag, DecisionThreshold threshold) {
        BagExplanation e = new Explainer(model, data).explain(bag);
        return new Prediction(bag.id(), bag.label(), e.probability(), threshold.decide(e.probability()),
                e.instances());
    }

    @Override
    public void close() {
        model.close();
    }
}
