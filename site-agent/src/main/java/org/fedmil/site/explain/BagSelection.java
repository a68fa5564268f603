package org.fedmil.site.explain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;

/**
 * Which bags to explain: those named, all of them, or by default a few, positives first. Chooses from the rows
 * of bags.csv, so that no bag is read (for tile sites: decoded) unless it is explained.
 */
public final class BagSelection {

    /** How many bags are explained when none are named. */
    public static final int DEFAULT_LIMIT = 20;

    private BagSelection() {
    }

    /**
     * Positions in {@code entries} (bags.csv order, as {@link BagDataset#bags()}) of the named bags, in the
     * order given (a repeated id once).
     *
     * @throws IllegalArgumentException naming the unknown ids and where the valid ones are listed
     */
    public static List<Integer> named(List<BagEntry> entries, Path dataDir, List<String> ids) {
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            position.put(entries.get(i).id(), i);
        }
        List<Integer> out = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String id : new LinkedHashSet<>(ids)) {
            String trimmed = id.strip();
            Integer i = position.get(trimmed);
            if (i == null) {
                unknown.add(trimmed);
            } else if (!out.contains(i)) {
                out.add(i);
            }
        }
        if (!unknown.isEmpty()) {
            String examples = entries.stream().limit(3).map(e -> "'" + e.id() + "'")
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("unknown bag id " + unknown.stream().map(u -> "'" + u + "'")
                    .collect(Collectors.joining(", ")) + "; the valid ids are the bag_id column of "
                    + dataDir.resolve(BagDataset.INDEX_FILE) + " (" + entries.size() + " bags, e.g. " + examples
                    + "), or pass --all to explain every bag");
        }
        return out;
    }

    /** Every bag, in bags.csv order. */
    public static List<Integer> all(List<BagEntry> entries) {
        return IntStream.range(0, entries.size()).boxed().toList();
    }

    /** Up to {@code limit} bags: the positive ones first, each class in bags.csv order. */
    public static List<Integer> positivesFirst(List<BagEntry> entries, int limit) {
        List<Integer> out = new ArrayList<>();
        for (int label = 1; label >= 0; label--) {
            for (int i = 0; i < entries.size() && out.size() < limit; i++) {
                if (entries.get(i).label() == label) {
                    out.add(i);
                }
            }
        }
        return out;
    }
}
