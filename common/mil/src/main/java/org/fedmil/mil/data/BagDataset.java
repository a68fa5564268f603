package org.fedmil.mil.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.RandomAccess;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bags of one site, validated as a whole: at least one labelled bag, unique safe ids, labels 0/1 or empty, one
 * feature dimension shared by all bags, only finite values.
 *
 * <p>A row with an empty label is an <em>unlabeled</em> bag (one no clinician has labelled yet). Unlabeled bags
 * are kept apart: {@link #bags()} and {@link #labelCounts()} hold only the labelled ones, so everything that
 * trains, evaluates or reports counts works on labelled bags as before; {@link #unlabeled()} holds the others,
 * for pseudo-labelling and for ranking which bag to label next. They are never counted as a class.
 *
 * <p>On disk a site is a folder with a bags.csv and one of two bag sources:
 * <pre>
 *   site-dir/
 *     bags.csv             header "bag_id,label", then one row per bag, label 0, 1 or empty (unlabeled)
 *     bags/&lt;bag_id&gt;.npy   float32 [instances × features], C order
 *   or
 *     tiles/&lt;bag_id&gt;/     the bag's image tiles (.png, .jpg, .jpeg), one instance each, in file-name order
 * </pre>
 * The bag data lives in a subfolder rather than beside bags.csv so that files such as a README are never
 * mistaken for bags. A folder holding both bags/ and tiles/ is refused.
 *
 * <p>Feature matrices are read and checked completely at load time and kept in memory. Tile sites may hold
 * far more pixels than fit in memory, so {@link #load(Path, TileFormat)} checks only their structure (every
 * listed bag has a folder with at least one tile) and {@link #bags()} decodes a bag from disk each time it is
 * fetched: a corrupt tile is reported when its bag is first read, naming the tile file.
 */
public final class BagDataset {

    private static final Logger LOG = LoggerFactory.getLogger(BagDataset.class);

    public static final String INDEX_FILE = "bags.csv";
    public static final String BAGS_DIR = "bags";
    public static final String TILES_DIR = "tiles";
    public static final String HEADER = "bag_id,label";
    /**
     * Optional third bags.csv column: which patient a bag belongs to. The loader ignores it; {@code fedmil data
     * split} keeps all bags of a patient in the same fold and site.
     */
    public static final String PATIENT_COLUMN = "patient";

    private final String name;
    private final List<Bag> bags;
    private final int dim;
    private final LabelCounts counts;
    /** For tile datasets: where the tiles are, and each bag's bags.csv entry by id; null otherwise. */
    private final TileBagSource tiles;
    private final Map<String, BagEntry> entryById;
    /** Bags with an empty label, in bags.csv order; empty for datasets built in memory. */
    private final List<Bag> unlabeled;

    private BagDataset(String name, List<Bag> bags, List<Bag> unlabeled, int dim, LabelCounts counts,
                       TileBagSource tiles, Map<String, BagEntry> entryById) {
        this.name = name;
        this.bags = bags;
        this.unlabeled = unlabeled;
        this.dim = dim;
        this.counts = counts;
        this.tiles = tiles;
        this.entryById = entryById;
    }

    private static BagDataset inMemory(String name, List<Bag> bags, List<Bag> unlabeled) {
        long positives = bags.stream().filter(b -> b.label() == 1).count();
        int dim = (bags.isEmpty() ? unlabeled : bags).get(0).dim();
        return new BagDataset(name, List.copyOf(bags), List.copyOf(unlabeled), dim,
                new LabelCounts(bags.size() - positives, positives), null, null);
    }

    /**
     * Loads the site folder {@code dir}, reading each bag from {@code dir/bags/<bag_id>.npy}. A tile site
     * (one with {@code tiles/}) is refused: it needs the tile format, see {@link #load(Path, TileFormat)}.
     */
    public static BagDataset load(Path dir) {
        if (hasTiles(dir)) {
            throw new BagDataException(dir.resolve(TILES_DIR), "this site holds image tiles, but no tile format "
                    + "was given to decode them with: the tile size and channels come from the federation's "
                    + "model spec (its tile size and channels); load the site with BagDataset.load(dir, "
                    + "TileFormat)");
        }
        return load(dir, new NpyBagSource(dir.resolve(BAGS_DIR)));
    }

    /**
     * Loads the site folder {@code dir}, whichever bag source it has: tiles from {@code dir/tiles/<bag_id>/},
     * decoded to {@code format}, or feature matrices from {@code dir/bags/} exactly as {@link #load(Path)}
     * (the format is then not used: the matrices' own width is the dimension).
     *
     * <p>For tiles only the structure is checked here (bags.csv, and every listed bag has a folder holding
     * at least one tile); no image is decoded. {@link #bags()} then decodes a bag from disk on each
     * {@code get}, so a corrupt tile surfaces there as a {@link BagDataException} naming the tile file.
     */
    public static BagDataset load(Path dir, TileFormat format) {
        return load(dir, format, true);
    }

    private static BagDataset load(Path dir, TileFormat format, boolean needLabelled) {
        Objects.requireNonNull(format, "format");
        if (!hasTiles(dir)) {
            if (!Files.isDirectory(dir.resolve(BAGS_DIR))) {
                readRows(dir, needLabelled); // a missing or broken bags.csv is the first thing to report
                throw new BagDataException(dir, "holds neither a " + BAGS_DIR + "/ folder (one <bag_id>.npy "
                        + "per bag) nor a " + TILES_DIR + "/ folder (one folder of image tiles per bag) next to "
                        + INDEX_FILE + "; add the bag data");
            }
            return load(dir, new NpyBagSource(dir.resolve(BAGS_DIR)), needLabelled);
        }
        List<BagEntry> rows = readRows(dir, needLabelled);
        TileBagSource source = new TileBagSource(dir.resolve(TILES_DIR), format);
        Map<String, BagEntry> byId = new HashMap<>();
        List<BagEntry> labelled = new ArrayList<>();
        List<BagEntry> unlabeled = new ArrayList<>();
        long positives = 0;
        for (BagEntry entry : rows) {
            source.check(entry);
            byId.put(entry.id(), entry);
            if (entry.labelled()) {
                labelled.add(entry);
                positives += entry.label();
            } else {
                unlabeled.add(entry);
            }
        }
        warnUnlisted(dir, source, byId.keySet(), "tiles");
        return new BagDataset(dir.toString(), new TileBagList(List.copyOf(labelled), source),
                new TileBagList(List.copyOf(unlabeled), source), format.dim(),
                new LabelCounts(labelled.size() - positives, positives), source, Map.copyOf(byId));
    }

    /**
     * Loads a folder of bags to apply a trained model to, as {@link #load(Path, TileFormat)} does but without
     * needing any labelled bag: new cases have none. Their bags are in {@link #unlabeled()}, labelled ones (if
     * any) in {@link #bags()}.
     */
    public static BagDataset loadForPrediction(Path dir, Optional<TileFormat> format) {
        if (format.isPresent()) {
            return load(dir, format.get(), false);
        }
        if (hasTiles(dir)) {
            return load(dir); // refused, with the reason
        }
        return load(dir, new NpyBagSource(dir.resolve(BAGS_DIR)), false);
    }

    /**
     * The bags.csv entry of a tile bag, without decoding its tiles: {@code labelled} picks {@link #bags()} or
     * {@link #unlabeled()}, {@code index} the bag in that list.
     */
    public BagEntry tileEntry(boolean labelled, int index) {
        if (!(bags instanceof TileBagList l) || !(unlabeled instanceof TileBagList u)) {
            throw new IllegalStateException(name + " is not a tile data set");
        }
        return (labelled ? l : u).entries.get(index);
    }

    /** Whether {@code dir} is a tile site; refuses a folder with both bag sources. */
    private static boolean hasTiles(Path dir) {
        boolean tiles = Files.isDirectory(dir.resolve(TILES_DIR));
        if (tiles && Files.isDirectory(dir.resolve(BAGS_DIR))) {
            throw new BagDataException(dir, "holds both a " + BAGS_DIR + "/ folder (feature matrices) and a "
                    + TILES_DIR + "/ folder (image tiles); a site folder must use exactly one: move the other "
                    + "out of the folder");
        }
        return tiles;
    }

    private static void warnUnlisted(Path dir, BagSource source, Set<String> ids, String what) {
        List<String> unlisted = source.unlisted(ids);
        if (!unlisted.isEmpty()) {
            LOG.warn("{}: {} bag(s) have {} but are not listed in {} and are ignored, e.g. '{}'",
                    dir, unlisted.size(), what, INDEX_FILE, unlisted.get(0));
        }
    }

    /**
     * The bags of a tile site as a list: fixed size, unmodifiable, and {@link #get} decodes the bag's tiles
     * from disk on every call (no cache), so memory holds only the bags in use.
     */
    private static final class TileBagList extends AbstractList<Bag> implements RandomAccess, DiskBackedBags {
        private final List<BagEntry> entries;
        private final TileBagSource source;

        TileBagList(List<BagEntry> entries, TileBagSource source) {
            this.entries = entries;
            this.source = source;
        }

        @Override
        public Bag get(int index) {
            return source.read(entries.get(index));
        }

        @Override
        public int size() {
            return entries.size();
        }
    }

    /** Loads the bags listed in {@code dir/bags.csv} from {@code source}. */
    public static BagDataset load(Path dir, BagSource source) {
        return load(dir, source, true);
    }

    private static BagDataset load(Path dir, BagSource source, boolean needLabelled) {
        List<BagEntry> entries = readRows(dir, needLabelled);
        List<Bag> bags = new ArrayList<>(entries.size());
        List<Bag> unlabeled = new ArrayList<>();
        Bag first = null;
        Set<String> ids = new LinkedHashSet<>();
        for (BagEntry entry : entries) {
            Bag bag = source.read(entry);
            if (first == null) {
                first = bag;
            } else if (bag.dim() != first.dim()) {
                throw new BagDataException(fileOf(dir, source, entry), entry.describe() + " has " + bag.dim()
                        + " features per instance but bag '" + first.id() + "' (line " + entries.get(0).line()
                        + ") has " + first.dim() + "; all bags of a site must come from the same feature "
                        + "extractor");
            }
            nonFinite(bag).ifPresent(where -> {
                throw new BagDataException(fileOf(dir, source, entry), entry.describe() + ": " + where
                        + "; features must be finite numbers (check the feature extraction for this bag)");
            });
            (bag.labelled() ? bags : unlabeled).add(bag);
            ids.add(bag.id());
        }
        warnUnlisted(dir, source, ids, "features");
        return inMemory(dir.toString(), bags, unlabeled);
    }

    /** The file to blame for a bad bag: its feature file where the source has one. */
    private static Path fileOf(Path dir, BagSource source, BagEntry entry) {
        return source instanceof NpyBagSource npy ? npy.fileOf(entry.id()) : dir.resolve(INDEX_FILE);
    }

    /** Validates labelled bags that are already in memory (e.g. generated), with the same rules as {@link #load}. */
    public static BagDataset of(String name, List<Bag> bags) {
        Objects.requireNonNull(name, "name");
        if (bags.isEmpty()) {
            throw new BagDataException(null, "dataset '" + name + "' has no bags");
        }
        bags.stream().filter(b -> !b.labelled()).findFirst().ifPresent(b -> {
            throw new BagDataException(null, "dataset '" + name + "': bag '" + b.id() + "' is unlabeled; "
                    + "in-memory datasets hold labelled bags only");
        });
        Map<String, Integer> seen = new HashMap<>();
        Bag first = bags.get(0);
        for (int i = 0; i < bags.size(); i++) {
            Bag bag = bags.get(i);
            Integer before = seen.putIfAbsent(bag.id(), i);
            if (before != null) {
                throw new BagDataException(null, "dataset '" + name + "': bag id '" + bag.id()
                        + "' is used by bags #" + before + " and #" + i);
            }
            BagIds.problem(bag.id()).ifPresent(p -> {
                throw new BagDataException(null, "dataset '" + name + "': " + p);
            });
            if (bag.dim() != first.dim()) {
                throw new BagDataException(null, "dataset '" + name + "': bag '" + bag.id() + "' has "
                        + bag.dim() + " features per instance but bag '" + first.id() + "' has " + first.dim());
            }
            nonFinite(bag).ifPresent(where -> {
                throw new BagDataException(null, "dataset '" + name + "': bag '" + bag.id() + "': " + where);
            });
        }
        return inMemory(name, bags, List.of());
    }

    /**
     * The labelled rows of {@code dir/bags.csv} (see {@link #readRows}), in file order: the order of
     * {@link #bags()}.
     */
    public static List<BagEntry> readIndex(Path dir) {
        return readRows(dir).stream().filter(BagEntry::labelled).toList();
    }

    /**
     * Reads and validates {@code dir/bags.csv}: the header, then per row a safe unique bag id and a label, 0, 1 or
     * empty (an unlabeled bag, {@link Bag#UNLABELED}). At least one row must be labelled. Blank lines are skipped;
     * a UTF-8 byte-order mark (as spreadsheet programs write) is ignored.
     */
    public static List<BagEntry> readRows(Path dir) {
        return readRows(dir, true);
    }

    private static List<BagEntry> readRows(Path dir, boolean needLabelled) {
        Path index = dir.resolve(INDEX_FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(index, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BagDataException(index, "not found; a site folder needs a " + INDEX_FILE + " listing its "
                    + "bags (header '" + HEADER + "') and a " + BAGS_DIR + "/ folder with one <bag_id>.npy per bag (or a "
                    + TILES_DIR + "/ folder with one folder of image tiles per bag)",
                    e);
        } catch (CharacterCodingException e) {
            throw new BagDataException(index, "is not UTF-8 text; save it as UTF-8 CSV", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new BagDataException(index, org.fedmil.util.Unreadable.reason(e), e);
        } catch (IOException e) {
            throw new BagDataException(index, "cannot read: " + e, e);
        }
        if (lines.isEmpty() || lines.stream().allMatch(String::isBlank)) {
            throw new BagDataException(index, "is empty; expected the header '" + HEADER
                    + "' followed by one row per bag");
        }
        String header = lines.get(0);
        if (header.startsWith("\uFEFF")) {
            header = header.substring(1);
        }
        List<String> headerFields = fields(header);
        if (!headerFields.equals(List.of("bag_id", "label"))
                && !headerFields.equals(List.of("bag_id", "label", PATIENT_COLUMN))) {
            throw new BagDataException(index, "line 1: header must be '" + HEADER + "', got '" + header.strip()
                    + "'" + (headerFields.size() == 2 && isLabel(headerFields.get(1))
                    ? " (looks like a data row: add the header line)" : ""));
        }
        List<BagEntry> entries = new ArrayList<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            int lineNo = i + 1;
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            List<String> f = fields(line);
            if (f.size() != headerFields.size()) {
                throw new BagDataException(index, "line " + lineNo + ": expected " + headerFields.size()
                        + " comma-separated fields (" + String.join(",", headerFields) + "), got " + f.size()
                        + ": '" + line.strip() + "'");
            }
            String id = f.get(0);
            String problem = BagIds.problem(id).orElse(null);
            if (problem != null) {
                throw new BagDataException(index, "line " + lineNo + ": " + problem);
            }
            if (!isLabel(f.get(1)) && !f.get(1).isEmpty()) {
                throw new BagDataException(index, "line " + lineNo + ": label of bag '" + id
                        + "' must be 0 or 1, or empty for a bag not labelled yet, got '" + f.get(1) + "'");
            }
            Integer previous = lineOf.putIfAbsent(id, lineNo);
            if (previous != null) {
                throw new BagDataException(index, "line " + lineNo + ": bag id '" + id
                        + "' is already listed on line " + previous + "; bag ids must be unique");
            }
            int label = f.get(1).isEmpty() ? Bag.UNLABELED : Integer.parseInt(f.get(1));
            entries.add(new BagEntry(id, label, index, lineNo));
        }
        if (entries.isEmpty()) {
            throw new BagDataException(index, "lists no bags; a site needs at least one bag to train on");
        }
        if (needLabelled && entries.stream().noneMatch(BagEntry::labelled)) {
            throw new BagDataException(index, "lists " + entries.size() + " bag(s), none of them labelled; a site "
                    + "needs at least one bag labelled 0 or 1 to train on: label some (fedmil site suggest ranks "
                    + "which to label first)");
        }
        return entries;
    }

    private static boolean isLabel(String s) {
        return s.equals("0") || s.equals("1");
    }

    /** Splits a CSV line, trimming fields and removing the quotes a spreadsheet may put around them. */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        for (String raw : line.split(",", -1)) {
            String f = raw.strip();
            if (f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"")) {
                f = f.substring(1, f.length() - 1).strip();
            }
            out.add(f);
        }
        return out;
    }

    private static Optional<String> nonFinite(Bag bag) {
        float[] x = bag.features();
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                return Optional.of("instance " + (i / bag.dim()) + ", feature " + (i % bag.dim()) + " is "
                        + x[i] + (count(x) > 1 ? " (and " + (count(x) - 1) + " more non-finite values)" : ""));
            }
        }
        return Optional.empty();
    }

    private static int count(float[] x) {
        int n = 0;
        for (float v : x) {
            if (!Float.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    /** The folder it was loaded from, or the name given to {@link #of}. */
    public String name() {
        return name;
    }

    /**
     * The bags, in bags.csv order; unmodifiable and random-access. For a tile dataset each {@code get} decodes
     * that bag from disk (and may throw {@link BagDataException} naming a corrupt tile); iterate rather than
     * keep the bags if memory matters.
     */
    public List<Bag> bags() {
        return bags;
    }

    /** Whether the bags are image tiles ({@code tiles/}) rather than feature matrices or in-memory bags. */
    public boolean isTiles() {
        return tiles != null;
    }

    /** The format tiles are decoded to, for a tile dataset. */
    public Optional<TileFormat> tileFormat() {
        return tiles == null ? Optional.empty() : Optional.of(tiles.format());
    }

    /**
     * The tile files of a bag in instance order: instance {@code i} of the bag is the file at {@code i}. Lists
     * the folder now; nothing is decoded.
     *
     * @throws IllegalStateException    if this is not a tile dataset ({@link #isTiles()} is false)
     * @throws IllegalArgumentException if the dataset has no bag of that id
     * @throws BagDataException         if the bag's folder has gone or holds no tiles any more
     */
    public List<Path> tileFiles(String bagId) {
        if (tiles == null) {
            throw new IllegalStateException("dataset '" + name + "' holds feature matrices, not image tiles; "
                    + "check isTiles() first");
        }
        BagEntry entry = entryById.get(bagId);
        if (entry == null) {
            throw new IllegalArgumentException("dataset '" + name + "' has no bag '" + bagId + "'");
        }
        return List.copyOf(tiles.tileFiles(entry));
    }

    /**
     * The bags whose bags.csv label is empty, in file order, each labelled {@link Bag#UNLABELED}; the same kind of
     * list as {@link #bags()} (lazy for tiles). Empty when every bag is labelled.
     */
    public List<Bag> unlabeled() {
        return unlabeled;
    }

    /** Features per instance, the same for every bag. */
    public int dim() {
        return dim;
    }

    public int size() {
        return bags.size();
    }

    /** Bags per label, from bags.csv; decodes nothing. */
    public LabelCounts labelCounts() {
        return counts;
    }

    @Override
    public String toString() {
        LabelCounts c = labelCounts();
        return "BagDataset[" + name + ": " + size() + " bags (" + c.positives() + " positive"
                + (unlabeled.isEmpty() ? "" : ", " + unlabeled.size() + " more unlabeled") + "), "
                + (tiles == null ? "dim " + dim : tiles.format() + " tiles") + "]";
    }
}
