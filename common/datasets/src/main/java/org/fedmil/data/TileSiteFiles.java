package org.fedmil.data;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/** Writing tile site folders ({@code bags.csv} + {@code tiles/<bag_id>/}), shared by the data generators. */
public final class TileSiteFiles {

    /** One bags.csv row. */
    public record Row(String id, int label) {
    }

    private TileSiteFiles() {
    }

    /**
     * Deletes {@code siteDir/tiles} if it exists, so that no tile of an earlier run is taken for an instance.
     * Symbolic links are deleted, never followed: linked source data is left alone.
     */
    public static void replaceTilesFolder(Path siteDir) throws IOException {
        Path tiles = siteDir.resolve(BagDataset.TILES_DIR);
        if (!Files.exists(tiles, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(tiles, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Writes {@code siteDir/bags.csv} atomically; call it last, after the tiles are in place. */
    public static void writeIndex(Path siteDir, List<Row> rows) throws IOException {
        StringBuilder csv = new StringBuilder(BagDataset.HEADER).append('\n');
        for (Row r : rows) {
            csv.append(r.id()).append(',').append(r.label()).append('\n');
        }
        writeText(siteDir.resolve(BagDataset.INDEX_FILE), csv.toString());
    }

    /** Writes a UTF-8 text file atomically. */
    public static void writeText(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(text);
            w.flush();
        });
    }

    /** A map that keeps insertion order (so JSON output is stable), from alternating keys and values. */
    public static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** A label as bags.csv holds it: 0, 1, or empty for a bag not labelled yet. */
    public static String label(int label) {
        return label < 0 ? "" : Integer.toString(label);
    }
}
