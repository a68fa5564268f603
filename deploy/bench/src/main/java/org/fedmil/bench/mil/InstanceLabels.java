package org.fedmil.bench.mil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.BagDataset;

/**
 * The hidden instance labels of a held-out set ({@code instance_labels.csv}: bag_id,tile,label), in each bag's
 * instance order. Benchmarks read them to score attention localisation; training never sees them.
 */
public final class InstanceLabels {

    public static final String FILE = "instance_labels.csv";

    private InstanceLabels() {
    }

    /** Labels per bag id, aligned with {@link BagDataset#tileFiles}; empty when the folder has no such file. */
    public static Map<String, int[]> read(BagDataset heldout, Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        Map<String, Map<String, Integer>> byBag = new HashMap<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(",");
                if (f.length != 3 || !(f[2].equals("0") || f[2].equals("1"))) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected bag_id,tile,label "
                            + "with label 0 or 1, got '" + line + "'");
                }
                byBag.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], Integer.parseInt(f[2]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<String, int[]> out = new HashMap<>();
        for (var entry : byBag.entrySet()) {
            List<Path> tiles = heldout.tileFiles(entry.getKey());
            int[] labels = new int[tiles.size()];
            for (int i = 0; i < labels.length; i++) {
                Integer label = entry.getValue().get(tiles.get(i).getFileName().toString());
                if (label == null) {
                    throw new IllegalArgumentException(file + ": no label for tile " + tiles.get(i)
                            + " of bag '" + entry.getKey() + "'");
                }
                labels[i] = label;
            }
            out.put(entry.getKey(), labels);
        }
        return out;
    }
}
