package org.fedmil.bench.toolbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.util.AtomicFiles;

/**
 * Makes some of a simulated site's bags unlabeled the way a real site has them: by writing its bags.csv with an
 * empty label for those bags, so that the data readers are exercised as they are at a site. The true labels stay
 * in memory ({@link #trueLabels}) for scoring pseudo-labels and for "labelling" suggested bags.
 */
final class LabelHiding {

    private LabelHiding() {
    }

    /** Every bag of the site folder, labelled or not, with its label as originally written. */
    static Map<String, Integer> trueLabels(Path site) {
        return BagDataset.readRows(site).stream().collect(Collectors.toMap(BagEntry::id, BagEntry::label));
    }

    /**
     * Chooses which bags stay labelled: {@code keep} of them at random (seeded), at least one, at most all. Returns
     * the ids that stay labelled.
     */
    static Set<String> randomLabelled(List<String> ids, int keep, Random rng) {
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, rng);
        return new HashSet<>(shuffled.subList(0, Math.max(1, Math.min(keep, shuffled.size()))));
    }

    /** Rewrites {@code site}/bags.csv: the bags in {@code labelled} get their true label, every other bag none. */
    static void write(Path site, Map<String, Integer> truth, List<String> order, Set<String> labelled) {
        StringBuilder csv = new StringBuilder(BagDataset.HEADER).append('\n');
        for (String id : order) {
            csv.append(id).append(',').append(labelled.contains(id) ? String.valueOf(truth.get(id)) : "").append('\n');
        }
        try {
            byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(site.resolve(BagDataset.INDEX_FILE), out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + site.resolve(BagDataset.INDEX_FILE), e);
        }
    }
}
