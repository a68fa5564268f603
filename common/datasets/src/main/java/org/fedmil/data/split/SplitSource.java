package org.fedmil.data.split;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.BagDataException;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;

/**
 * A data set folder in the site format (bags.csv plus {@code tiles/} or {@code bags/}) read for splitting: each
 * labelled bag's id, label, patient (the optional {@value BagDataset#PATIENT_COLUMN} column) and size. Only the
 * structure is checked (every listed bag has its tile folder with a tile, or its .npy file); nothing is decoded,
 * so a large data set is read in seconds.
 *
 * @param unlabeled bags with an empty label, which a split leaves out
 */
public record SplitSource(Path dir, Kind kind, List<SourceBag> bags, int unlabeled, boolean hasPatients) {

    /** Which bag source the folder has. */
    public enum Kind {
        TILES(BagDataset.TILES_DIR), FEATURES(BagDataset.BAGS_DIR);

        private final String folder;

        Kind(String folder) {
            this.folder = folder;
        }

        /** The subfolder holding the bags: tiles or bags. */
        public String folder() {
            return folder;
        }
    }

    /**
     * One labelled bag.
     *
     * @param patient the patient column's value; the bag id itself when the folder has no patient column
     * @param size    tiles in the bag's folder, or the .npy file's length in bytes (which orders bags of one
     *                feature width by instances): only compared, to stratify by size
     */
    public record SourceBag(String id, int label, String patient, long size) {
    }

    /** Reads and checks {@code dir}; errors name the file and say what to do. */
    public static SplitSource read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SourceDataException(dir, "not a folder; --data must be a data set folder holding bags.csv "
                    + "and tiles/ or bags/ (see docs/data-format.md)");
        }
        boolean tiles = Files.isDirectory(dir.resolve(BagDataset.TILES_DIR));
        boolean features = Files.isDirectory(dir.resolve(BagDataset.BAGS_DIR));
        List<BagEntry> rows;
        try {
            rows = BagDataset.readRows(dir);
        } catch (BagDataException e) {
            throw new SourceDataException(null, e.getMessage() + " (is " + dir + " a data set folder?)", e);
        }
        if (tiles == features) {
            throw new SourceDataException(dir, tiles ? "holds both tiles/ and bags/; a data set folder uses exactly "
                    + "one: move the other out" : "holds bags.csv but neither a tiles/ folder (one folder of image "
                    + "tiles per bag) nor a bags/ folder (one <bag_id>.npy per bag); it is not a data set folder");
        }
        Kind kind = tiles ? Kind.TILES : Kind.FEATURES;
        List<String> patients = patientColumn(dir, rows);
        List<SourceBag> bags = new ArrayList<>();
        int unlabeled = 0;
        for (int i = 0; i < rows.size(); i++) {
            BagEntry row = rows.get(i);
            if (!row.labelled()) {
                unlabeled++;
                continue;
            }
            long size = kind == Kind.TILES ? tileCount(dir, row) : npySize(dir, row);
            bags.add(new SourceBag(row.id(), row.label(), patients == null ? row.id() : patients.get(i), size));
        }
        return new SplitSource(dir, kind, List.copyOf(bags), unlabeled, patients != null);
    }

    /** The patient of each row (in row order), or null when bags.csv has no patient column. */
    private static List<String> patientColumn(Path dir, List<BagEntry> rows) {
        Path index = dir.resolve(BagDataset.INDEX_FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(index, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SourceDataException(index, "cannot read: " + e, e);
        }
        String header = lines.get(0).replace("\uFEFF", "");
        if (!header.toLowerCase(Locale.ROOT).replace("\"", "").replace(" ", "")
                .endsWith("," + BagDataset.PATIENT_COLUMN)) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (BagEntry row : rows) {
            String[] f = lines.get(row.line() - 1).split(",", -1);
            String patient = f[2].strip().replace("\"", "").strip();
            if (patient.isEmpty()) {
                throw new SourceDataException(index, "line " + row.line() + ": bag '" + row.id() + "' has an "
                        + "empty patient; with a " + BagDataset.PATIENT_COLUMN + " column every bag needs one (use "
                        + "the bag id for a patient with a single bag)");
            }
            out.add(patient);
        }
        return out;
    }

    private static long tileCount(Path dir, BagEntry row) {
        Path folder = dir.resolve(BagDataset.TILES_DIR).resolve(row.id());
        if (!Files.isDirectory(folder)) {
            throw new SourceDataException(folder, row.describe() + " has no tile folder; add tiles/" + row.id()
                    + "/ or remove the bag's row from bags.csv");
        }
        long n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!name.startsWith(".") && (name.endsWith(".png") || name.endsWith(".jpg")
                        || name.endsWith(".jpeg"))) {
                    n++;
                }
            }
        } catch (IOException e) {
            throw new SourceDataException(folder, "cannot list: " + e, e);
        }
        if (n == 0) {
            throw new SourceDataException(folder, row.describe() + " has no tiles (.png, .jpg or .jpeg); add its "
                    + "tiles or remove the bag's row from bags.csv");
        }
        return n;
    }

    private static long npySize(Path dir, BagEntry row) {
        Path file = dir.resolve(BagDataset.BAGS_DIR).resolve(row.id() + ".npy");
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new SourceDataException(file, row.describe() + " has no feature file; add bags/" + row.id()
                    + ".npy or remove the bag's row from bags.csv", e);
        }
    }

    /** The folder (tile folder or .npy file) of a bag in the source. */
    public Path bagPath(String id) {
        return kind == Kind.TILES ? dir.resolve(BagDataset.TILES_DIR).resolve(id)
                : dir.resolve(BagDataset.BAGS_DIR).resolve(id + ".npy");
    }
}
