package org.fedmil.mil.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Reads each bag from the image tiles in {@code <tilesDir>/<bag_id>/}: every {@code .png}, {@code .jpg} or
 * {@code .jpeg} file (case-insensitive; hidden dot files and other files are ignored) is one instance, in
 * file-name order ({@link String#compareTo}, so number tiles with leading zeros: {@code 01.png, 02.png, ...}).
 * Each tile is decoded by {@link TileImages} to the {@link TileFormat}, so a bag's features are its tiles
 * one after another, each CHW with values in [0, 1].
 */
public final class TileBagSource implements BagSource {

    private final Path tilesDir;
    private final TileFormat format;

    public TileBagSource(Path tilesDir, TileFormat format) {
        this.tilesDir = Objects.requireNonNull(tilesDir, "tilesDir");
        this.format = Objects.requireNonNull(format, "format");
    }

    public TileFormat format() {
        return format;
    }

    /** The folder holding a bag's tiles. */
    public Path folderOf(String bagId) {
        return tilesDir.resolve(bagId);
    }

    /**
     * Checks a listed bag's structure without decoding anything: its folder exists and holds at least one
     * tile.
     *
     * @return the number of tiles (instances)
     * @throws BagDataException naming the folder, the bag and its bags.csv line
     */
    public int check(BagEntry entry) {
        return tileFiles(entry).size();
    }

    /**
     * The bag's tile files in instance order.
     *
     * @throws BagDataException if the folder is missing, unreadable or holds no tile
     */
    public List<Path> tileFiles(BagEntry entry) {
        Path folder = folderOf(entry.id());
        String expected = BagDataset.TILES_DIR + "/" + entry.id() + "/";
        String index = entry.index().getFileName().toString();
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (TileImages.isTileName(name)) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            throw new BagDataException(folder, entry.describe() + " has no tile folder; expected " + expected
                    + " next to " + index + " holding the bag's .png/.jpg tiles (add the folder or remove the "
                    + "bag's row from " + index + ")" + flatTilesHint(), e);
        } catch (NotDirectoryException e) {
            throw new BagDataException(folder, entry.describe() + ": " + expected + " is a file, not a folder; "
                    + "put the bag's tiles in a folder of that name", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new BagDataException(folder, entry.describe() + ": the tile folder is "
                    + org.fedmil.util.Unreadable.reason(e), e);
        } catch (IOException e) {
            throw new BagDataException(folder, entry.describe() + ": cannot list the tile folder: " + e, e);
        }
        if (names.isEmpty()) {
            throw new BagDataException(folder, entry.describe() + " has no tiles: the folder holds no .png, "
                    + ".jpg or .jpeg file; every bag needs at least one instance: add its tiles or drop the "
                    + "bag's row from " + index);
        }
        names.sort(null);
        List<Path> out = new ArrayList<>(names.size());
        for (String name : names) {
            out.add(folder.resolve(name));
        }
        return out;
    }

    /** If tiles were put straight into tiles/ instead of per-bag folders, says so. */
    private String flatTilesHint() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tilesDir)) {
            for (Path f : files) {
                if (TileImages.isTileName(f.getFileName().toString()) && Files.isRegularFile(f)) {
                    return "; note: " + tilesDir + " holds image files directly, but each bag needs its own "
                            + "folder " + BagDataset.TILES_DIR + "/<bag_id>/";
                }
            }
        } catch (IOException e) {
            // only a hint
        }
        return "";
    }

    /** Decodes all tiles of the bag, in instance order. Reads the disk on every call; nothing is cached. */
    @Override
    public Bag read(BagEntry entry) {
        List<Path> files = tileFiles(entry);
        int dim = format.dim();
        if ((long) files.size() * dim > Integer.MAX_VALUE - 8) {
            throw new BagDataException(folderOf(entry.id()), entry.describe() + " has " + files.size()
                    + " tiles of " + format + " values, more than one array can hold; split the bag");
        }
        float[] features = new float[files.size() * dim];
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            try {
                TileImages.read(file, format, features, i * dim);
            } catch (BagDataException e) {
                throw new BagDataException(file, entry.describe() + ": tile " + e.detail(), e);
            }
        }
        return new Bag(entry.id(), entry.label(), files.size(), dim, features);
    }

    /** Folders in tiles/ that bags.csv does not list (hidden ones excepted). */
    @Override
    public List<String> unlisted(Set<String> listedIds) {
        List<String> extra = new ArrayList<>();
        if (!Files.isDirectory(tilesDir)) {
            return extra;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tilesDir, Files::isDirectory)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!name.startsWith(".") && !listedIds.contains(name)) {
                    extra.add(name);
                }
            }
        } catch (IOException e) {
            // Only feeds a warning.
        }
        extra.sort(null);
        return extra;
    }

    @Override
    public String toString() {
        return format + " image tiles in " + tilesDir;
    }
}
