package org.fedmil.site.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.model.ModelSpec;

/**
 * A site's bags, opened the way the federation's model reads them. Feature bags (.npy) are read and checked once
 * at start; tile bags are checked for structure at start (every listed bag has a non-empty tile folder) and
 * decoded from disk, a bag at a time, at the tile size and channels of the model each task names.
 *
 * <p>With a {@link ValidationSplit} a stratified share of the labelled bags is kept back: {@link #bagsFor} (what
 * trains) never holds them, {@link #validationFor} holds only them. The choice hangs on bag ids and the seed, so it
 * is the same in every round and after a restart.
 */
public final class SiteData {

    /** Any format will do for the structural check at start: tiles are not decoded until a bag is read. */
    private static final TileFormat STRUCTURE_ONLY = new TileFormat(1, TileFormat.MIN_SIZE);

    private final Path dir;
    private final BagDataset atStart;
    private final ValidationSplit.Assignment split;
    private final LabelCounts trainingCounts;
    private BagDataset opened;

    /** Every labelled bag trains. */
    public SiteData(Path dir) {
        this(dir, ValidationSplit.NONE);
    }

    public SiteData(Path dir, ValidationSplit validation) {
        this.dir = dir;
        boolean tiles = Files.isDirectory(dir.resolve(BagDataset.TILES_DIR));
        this.atStart = tiles ? BagDataset.load(dir, STRUCTURE_ONLY) : BagDataset.load(dir);
        this.opened = tiles ? null : atStart;
        this.split = validation.assignEntries(BagDataset.readIndex(dir));
        long positives = 0;
        for (BagEntry e : split.trainingOf(BagDataset.readIndex(dir))) {
            positives += e.label();
        }
        this.trainingCounts = new LabelCounts(split.training().length - positives, positives);
    }

    /**
     * The SHA-256 of the pretrained encoder the site's feature bags were computed with, from the data folder's
     * {@code features.json} ({@code fedmil data features} writes it); empty for tile bags or features of unknown
     * origin.
     */
    public Optional<String> featureEncoderSha256() {
        Path manifest = dir.resolve(org.fedmil.mil.encoder.FeatureExtraction.MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return Optional.empty();
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(manifest.toFile()).get("encoder_sha256");
            return n == null || !n.isTextual() ? Optional.empty() : Optional.of(n.asText());
        } catch (java.io.IOException e) {
            throw new org.fedmil.mil.data.BagDataException(manifest, "cannot be read as JSON (" + e.getMessage()
                    + "); write it again with fedmil data features", e);
        }
    }

    public Path dir() {
        return dir;
    }

    public boolean isTiles() {
        return atStart.isTiles();
    }

    /** Values per instance of feature bags; 0 for tile bags. */
    public int featureDim() {
        return isTiles() ? 0 : atStart.dim();
    }

    /** Labelled bags. */
    public int size() {
        return atStart.size();
    }

    /** Bags of the labelled ones; unlabeled bags are never counted as a class. */
    public LabelCounts labelCounts() {
        return atStart.labelCounts();
    }

    /** Bags per label of the bags that train (the labelled ones less the validation bags). */
    public LabelCounts trainingLabelCounts() {
        return trainingCounts;
    }

    /** Labelled bags kept back for validation; 0 when validation is off or the site is too small for it. */
    public int validationCount() {
        return split.validation().length;
    }

    /** Validation was asked for, but no class has two bags: every bag trains and nothing is validated. */
    public boolean tooSmallForValidation() {
        return split.tooSmall();
    }

    /** Bags with an empty label in bags.csv. */
    public int unlabeledCount() {
        return atStart.unlabeled().size();
    }

    /** "120 tile bags" / "120 bags of 32 features" (+ " and 30 unlabeled"), for the site's own console. */
    public String describe() {
        String labelled = isTiles() ? size() + " tile bags" : size() + " bags of " + atStart.dim() + " features";
        if (validationCount() > 0) {
            labelled += " (" + validationCount() + " kept for validation)";
        } else if (tooSmallForValidation()) {
            labelled += " (too few for a validation split: all train)";
        }
        return unlabeledCount() == 0 ? labelled : labelled + " and " + unlabeledCount() + " unlabeled";
    }

    /**
     * The labelled bags that train, as {@code spec} reads them (never a validation bag); a lazy list for tiles, so
     * do not copy it.
     *
     * @throws IllegalStateException when the site's data cannot feed this model (features vs tiles, or widths)
     */
    public synchronized List<Bag> bagsFor(ModelSpec spec) {
        return split.trainingOf(openFor(spec).bags());
    }

    /** The validation bags as {@code spec} reads them; empty without validation. Lazy for tiles. */
    public synchronized List<Bag> validationFor(ModelSpec spec) {
        return split.validationOf(openFor(spec).bags());
    }

    /** Every labelled bag, training and validation, as {@code spec} reads them; lazy for tiles. */
    public synchronized List<Bag> allBagsFor(ModelSpec spec) {
        return openFor(spec).bags();
    }

    /** The unlabeled bags as {@code spec} reads them, each labelled {@link Bag#UNLABELED}; lazy for tiles. */
    public synchronized List<Bag> unlabeledFor(ModelSpec spec) {
        return openFor(spec).unlabeled();
    }

    private BagDataset openFor(ModelSpec spec) {
        if (spec.readsTiles() != isTiles()) {
            throw new IllegalStateException("the federation's model reads " + (spec.readsTiles()
                    ? "image tiles (encoder cnn)" : "feature vectors (encoder mlp)") + " but this site's " + dir
                    + " holds " + (isTiles() ? "tile bags (tiles/)" : "feature bags (bags/*.npy)")
                    + "; ask the operator which data the federation trains on");
        }
        if (!isTiles()) {
            if (spec.inputDim() != atStart.dim()) {
                throw new IllegalStateException("the federation's model expects " + spec.inputDim()
                        + " features per instance but this site's bags in " + dir + " have " + atStart.dim());
            }
            return atStart;
        }
        TileFormat wanted = spec.tileFormat().orElseThrow();
        if (opened == null || !opened.tileFormat().orElseThrow().equals(wanted)) {
            opened = BagDataset.load(dir, wanted);
        }
        return opened;
    }
}
