package org.fedmil.mil.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads each bag from {@code <bagsDir>/<bag_id>.npy}, a float32 matrix [instances × features]. */
public final class NpyBagSource implements BagSource {

    public static final String SUFFIX = ".npy";

    private final Path bagsDir;

    public NpyBagSource(Path bagsDir) {
        this.bagsDir = bagsDir;
    }

    public Path fileOf(String bagId) {
        return bagsDir.resolve(bagId + SUFFIX);
    }

    @Override
    public Bag read(BagEntry entry) {
        Path file = fileOf(entry.id());
        if (!Files.isRegularFile(file)) {
            throw new BagDataException(file, entry.describe() + " has no feature file; expected "
                    + BagDataset.BAGS_DIR + "/" + entry.id() + SUFFIX + " next to " + entry.index().getFileName()
                    + " (add the file or remove the bag's row from " + entry.index().getFileName() + ")");
        }
        Npy.Matrix m;
        try {
            m = Npy.read(file);
        } catch (BagDataException e) {
            throw new BagDataException(file, entry.describe() + ": " + e.detail(), e);
        }
        if (m.rows() == 0) {
            throw new BagDataException(file, entry.describe() + " has 0 instances (shape (0, " + m.cols()
                    + ")); every bag needs at least one instance: drop the bag's row from "
                    + entry.index().getFileName());
        }
        if (m.cols() == 0) {
            throw new BagDataException(file, entry.describe() + " has 0 features per instance (shape ("
                    + m.rows() + ", 0)); check the feature extraction");
        }
        return new Bag(entry.id(), entry.label(), m.rows(), m.cols(), m.data());
    }

    @Override
    public List<String> unlisted(Set<String> listedIds) {
        List<String> extra = new ArrayList<>();
        if (!Files.isDirectory(bagsDir)) {
            return extra;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(bagsDir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String id = name.substring(0, name.length() - SUFFIX.length());
                if (!name.startsWith(".") && !listedIds.contains(id)) {
                    extra.add(id);
                }
            }
        } catch (IOException e) {
            // Only feeds a warning; the listed bags have all been read successfully.
        }
        extra.sort(null);
        return extra;
    }

    @Override
    public String toString() {
        return "npy files in " + bagsDir;
    }
}
