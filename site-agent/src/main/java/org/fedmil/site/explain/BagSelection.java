package org.fedmil.site.explain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;

/** Which bags to explain: those named, all of them, or by default a few, positives first. */
public final class BagSelection {

    /** How many bags are explained when none are named. */
    public static final int DEFAULT_LIMIT = 20;

    private BagSelection() {
    }

    /** The named bags in the order given (a repeated id once). */
    public static List<Bag> named(BagDataset data, Path dataDir, List<String> ids) {
        Map<String, Bag> byId = new LinkedHashMap<>();
        for (Bag b : data.bags()) {
            byId.put(b.id(), b);
        }
        List<Bag> out = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String id : new LinkedHashSet<>(ids)) {
            String trimmed = id.strip();
            Bag bag = byId.get(trimmed);
            if (bag == null) {
                unknown.add(trimmed);
            } else {
                out.add(bag);
            }
        }
        if (!unknown.isEmpty()) {
            String examples = data.bags().stream().limit(3).map(b -> "'" + b.id() + "'")
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("unknown bag id " + unknown.stream().map(u -> "'" + u + "'")
                    .collect(Collectors.joining(", ")) + "; the valid ids are the bag_id column of "
                    + dataDir.resolve(BagDataset.INDEX_FILE) + " (" + data.size() + " bags, e.g. " + examples
                    + "), or pass --all to explain every bag");
        }
        return out;
    }

    /** Every bag, in bags.csv order. */
    public static List<Bag> all(BagDataset data) {
        return data.bags();
    }

    /** Up to {@code limit} bags: the positive ones first, each class in bags.csv order. */
    public static List<Bag> positivesFirst(BagDataset data, int limit) {
        List<Bag> out = new ArrayList<>();
        for (int label = 1; label >= 0; label--) {
            for (Bag b : data.bags()) {
                if (b.label() == label && out.size() < limit) {
                    out.add(b);
                }
            }
        }
        return out;
    }
}
