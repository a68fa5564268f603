package org.fedmil.data.split;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.split.SplitSource.SourceBag;
import org.fedmil.mil.data.BagDataset;

/**
 * Writes a {@link DataSplit} as site folders: {@code out/[fold-i/]site-1..K} and {@code heldout}, each with its own
 * bags.csv (keeping the patient column) and, per bag, a symbolic link to the source's tile folder or .npy file,
 * never a copy; a source {@code instance_labels.csv} is filtered into each folder; {@code out/manifest.json}
 * says what went where. bags.csv is written last in each folder, atomically.
 */
public final class SplitWriter {

    public static final String GENERATOR = "fedmil-data-split/1";
    public static final String HELDOUT = "heldout";
    public static final String MANIFEST = "manifest.json";
    public static final String INSTANCE_LABELS = "instance_labels.csv";

    private final SplitSource source;
    private final DataSplit split;
    private final Map<String, SourceBag> byId = new HashMap<>();

    public SplitWriter(SplitSource source, DataSplit split) {
        this.source = source;
        this.split = split;
        source.bags().forEach(b -> byId.put(b.id(), b));
    }

    /** Refuses an output folder that is the source, inside it, or holds it (--force would delete links there). */
    public static void checkSeparate(Path source, Path out) {
        Path s = source.toAbsolutePath().normalize();
        Path o = out.toAbsolutePath().normalize();
        if (o.startsWith(s) || s.startsWith(o)) {
            throw new IllegalArgumentException("--out " + out + " overlaps the data set folder " + source
                    + "; write the split to a folder outside it (and the data set outside the split)");
        }
    }

    /**
     * Removes the folders an earlier split wrote into {@code out} (fold-*, site-*, heldout), so that a rerun with
     * fewer folds or sites leaves none behind; other files are left alone, links are never followed.
     */
    public static void clearPrevious(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return;
        }
        try (var entries = Files.list(out)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && (name.startsWith("fold-")
                        || name.startsWith("site-") || name.equals(HELDOUT))) {
                    removeTree(p);
                }
            }
        }
    }

    /** Writes every fold and the manifest. */
    public void writeAll(Path out) throws IOException {
        for (DataSplit.Fold fold : split.folds()) {
            writeFold(out, fold);
        }
        writeManifest(out);
    }

    /** Writes one fold's folders ({@code out/fold-i/...}, or {@code out/...} without folds), replacing them. */
    public Path writeFold(Path out, DataSplit.Fold fold) throws IOException {
        Path base = fold.number() == 0 ? out : out.resolve(fold.folder());
        List<String> instanceLabels = readInstanceLabels();
        for (int k = 0; k < fold.sites().size(); k++) {
            writeFolder(base.resolve("site-" + (k + 1)), fold.sites().get(k), instanceLabels);
        }
        writeFolder(base.resolve(HELDOUT), fold.heldout(), instanceLabels);
        return base;
    }

    private void writeFolder(Path dir, List<String> ids, List<String> instanceLabels) throws IOException {
        removeTree(dir);
        Path data = Files.createDirectories(dir.resolve(source.kind().folder()));
        StringBuilder csv = new StringBuilder(BagDataset.HEADER)
                .append(source.hasPatients() ? "," + BagDataset.PATIENT_COLUMN : "").append('\n');
        for (String id : ids) {
            Path target = source.bagPath(id).toAbsolutePath().normalize();
            Path link = data.resolve(target.getFileName());
            try {
                Files.createSymbolicLink(link, target);
            } catch (UnsupportedOperationException | FileSystemException e) {
                throw new IOException(link + ": cannot create a symbolic link to " + target + " (" + e + "); "
                        + "data split links to the data set rather than copying it: write the split on a file "
                        + "system with symbolic links", e);
            }
            SourceBag bag = byId.get(id);
            csv.append(id).append(',').append(bag.label());
            if (source.hasPatients()) {
                csv.append(',').append(bag.patient());
            }
            csv.append('\n');
        }
        if (instanceLabels != null) {
            Set<String> mine = new HashSet<>(ids);
            StringBuilder labels = new StringBuilder(instanceLabels.get(0)).append('\n');
            for (String line : instanceLabels.subList(1, instanceLabels.size())) {
                int comma = line.indexOf(',');
                if (comma > 0 && mine.contains(line.substring(0, comma))) {
                    labels.append(line).append('\n');
                }
            }
            TileSiteFiles.writeText(dir.resolve(INSTANCE_LABELS), labels.toString());
        }
        TileSiteFiles.writeText(dir.resolve(BagDataset.INDEX_FILE), csv.toString());
    }

    private List<String> readInstanceLabels() throws IOException {
        Path file = source.dir().resolve(INSTANCE_LABELS);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new SourceDataException(file, "is empty; expected the header 'bag_id,tile,label'");
        }
        return lines;
    }

    /** Deletes a folder this class wrote; links are deleted, never followed, so the source is left alone. */
    static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Writes {@code out/manifest.json}: the options, and per folder its bags, positives and bag ids. */
    public void writeManifest(Path out) throws IOException {
        DataSplit.Options o = split.options();
        List<Object> folds = new ArrayList<>();
        for (DataSplit.Fold fold : split.folds()) {
            List<Object> folders = new ArrayList<>();
            for (int k = 0; k < fold.sites().size(); k++) {
                folders.add(folder("site-" + (k + 1), fold.sites().get(k)));
            }
            folders.add(folder(HELDOUT, fold.heldout()));
            folds.add(TileSiteFiles.ordered("fold", fold.number(), "path", fold.folder().isEmpty() ? "."
                    : fold.folder(), "folders", folders));
        }
        Map<String, Object> m = TileSiteFiles.ordered(
                "generator", GENERATOR,
                "source", source.dir().toAbsolutePath().normalize().toString(),
                "kind", source.kind().folder(),
                "seed", o.seed(),
                "folds", o.folds(),
                "sites", o.sites(),
                "alpha", o.alpha(),
                "heldout_fraction", o.folds() > 0 ? null : o.heldoutFraction(),
                "grouped_by", source.hasPatients() ? BagDataset.PATIENT_COLUMN : "bag",
                "bags", source.bags().size(),
                "unlabeled_bags_left_out", source.unlabeled(),
                "links", "symbolic links to the source's " + source.kind().folder() + "/ entries, never copies",
                "splits", folds);
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(m);
        TileSiteFiles.writeText(out.resolve(MANIFEST), new String(json, StandardCharsets.UTF_8) + "\n");
    }

    private Map<String, Object> folder(String name, List<String> ids) {
        long positives = ids.stream().filter(id -> byId.get(id).label() == 1).count();
        long patients = ids.stream().map(id -> byId.get(id).patient()).distinct().count();
        return TileSiteFiles.ordered("name", name, "bags", ids.size(), "positives", positives, "patients", patients,
                "bag_ids", ids);
    }
}
