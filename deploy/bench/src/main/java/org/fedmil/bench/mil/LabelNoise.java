package org.fedmil.bench.mil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * Noisy bag labels at one site, for {@code bench mil --flip-labels site=N:fraction=F}: exactly round(F · bags) of
 * site N's bags, drawn with the split's seed, get the other label in the split's bags.csv before anything is
 * loaded, so that site trains and weighs its classes on the noisy labels as a real site with mislabelled bags
 * would. The held-out bags and the other sites keep their true labels.
 */
public record LabelNoise(int site, double fraction) {

    public LabelNoise {
        if (site < 1) {
            throw new IllegalArgumentException("--flip-labels: site is 1-based, got " + site);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--flip-labels: fraction must be in (0, 1], got " + fraction);
        }
    }

    /** Parses {@code site=N:fraction=F}. */
    public static LabelNoise parse(String text) {
        Integer site = null;
        Double fraction = null;
        for (String part : text.trim().split(":")) {
            String[] kv = part.split("=", 2);
            if (kv.length == 2 && kv[0].trim().equals("site")) {
                site = Integer.parseInt(kv[1].trim());
            } else if (kv.length == 2 && kv[0].trim().equals("fraction")) {
                fraction = Double.parseDouble(kv[1].trim());
            } else {
                throw new IllegalArgumentException("--flip-labels '" + text + "': expected site=N:fraction=F, e.g. "
                        + "site=1:fraction=0.2");
            }
        }
        if (site == null || fraction == null) {
            throw new IllegalArgumentException("--flip-labels '" + text + "': both site=N and fraction=F are needed");
        }
        return new LabelNoise(site, fraction);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "site=%d:fraction=%s", site, fraction);
    }

    /** Flips the labels in {@code siteDir/bags.csv}; returns the ids of the flipped bags. */
    public List<String> apply(Path siteDir, long seed) throws IOException {
        Path index = siteDir.resolve(BagDataset.INDEX_FILE);
        List<String> lines = new ArrayList<>(Files.readAllLines(index, StandardCharsets.UTF_8));
        List<Integer> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                rows.add(i);
            }
        }
        int flips = (int) Math.round(fraction * rows.size());
        java.util.Collections.shuffle(rows, new Random(seed * 7_919L + site));
        List<String> flipped = new ArrayList<>();
        for (int row : rows.subList(0, flips)) {
            String[] cols = lines.get(row).split(",", -1);
            String label = cols[1].trim();
            if (!label.equals("0") && !label.equals("1")) {
                throw new IOException(index + " row " + (row + 1) + ": label '" + label + "' is not 0 or 1");
            }
            cols[1] = label.equals("1") ? "0" : "1";
            lines.set(row, String.join(",", cols));
            flipped.add(cols[0]);
        }
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(index, out -> out.write(bytes));
        return flipped;
    }
}
