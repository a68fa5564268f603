package org.fedmil.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Replaces a site folder's labels with random ones that carry no information about its bags: within each true
 * class, a random half of the bags is labelled positive and the rest negative, so the new labels are independent
 * of the true ones (and of what the bags hold) by construction, not only in expectation as a plain shuffle is.
 */
public final class RandomLabels {

    private RandomLabels() {
    }

    /** Rewrites {@code site}/bags.csv in place. */
    public static void relabel(Path site, long seed) throws IOException {
        Path csv = site.resolve("bags.csv");
        List<String> rows = Files.readAllLines(csv);
        if (!rows.get(0).equals("bag_id,label")) {
            throw new IllegalArgumentException(csv + " starts with '" + rows.get(0) + "', not 'bag_id,label'");
        }
        String[] labels = new String[rows.size()];
        Random rng = new Random(seed);
        for (String trueLabel : List.of("0", "1")) {
            List<Integer> ofClass = new ArrayList<>();
            for (int i = 1; i < rows.size(); i++) {
                if (rows.get(i).endsWith("," + trueLabel)) {
                    ofClass.add(i);
                }
            }
            Collections.shuffle(ofClass, rng);
            for (int k = 0; k < ofClass.size(); k++) {
                labels[ofClass.get(k)] = k < ofClass.size() / 2 ? "1" : "0";
            }
        }
        List<String> out = new ArrayList<>(List.of(rows.get(0)));
        for (int i = 1; i < rows.size(); i++) {
            out.add(rows.get(i).substring(0, rows.get(i).lastIndexOf(',') + 1) + labels[i]);
        }
        Files.write(csv, out);
    }
}
