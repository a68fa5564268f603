package org.fedmil.bench.toolbox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The markdown table of one toolbox experiment: per arm, held-out AUC mean ± sample std over seeds, and the paired
 * difference to the experiment's reference arm (the default) on the same seeds.
 */
final class ToolboxReport {

    private ToolboxReport() {
    }

    /** The arm every other arm is compared with: what the federation does without the option. */
    static String reference(String experiment) {
        return switch (experiment) {
            case "tta" -> "single";
            case "pseudo" -> "labelled-only";
            default -> "random";
        };
    }

    static String markdown(List<ToolboxRecord> records) {
        if (records.isEmpty()) {
            return "(no results)\n";
        }
        String reference = reference(records.get(0).experiment());
        Map<String, Map<Long, ToolboxRecord>> byArm = new LinkedHashMap<>();
        for (ToolboxRecord r : records) {
            // a seed run twice counts once: the later line wins
            byArm.computeIfAbsent(r.arm(), a -> new LinkedHashMap<>()).put(r.seed(), r);
        }
        Map<Long, ToolboxRecord> ref = byArm.getOrDefault(reference, Map.of());
        StringBuilder md = new StringBuilder();
        md.append("| arm | AUC | Δ vs ").append(reference).append(" (paired) | seeds | labelled / unlabeled bags |\n");
        md.append("|---|---|---|---|---|\n");
        for (var e : byArm.entrySet()) {
            List<Double> auc = new ArrayList<>();
            List<Double> gain = new ArrayList<>();
            for (var r : e.getValue().values()) {
                auc.add(r.auc());
                Optional.ofNullable(ref.get(r.seed())).ifPresent(b -> gain.add(r.auc() - b.auc()));
            }
            ToolboxRecord any = e.getValue().values().iterator().next();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d / %d |%n", e.getKey(), pm(auc),
                    e.getKey().equals(reference) ? "—" : signedPm(gain), auc.size(), any.labelledBags(),
                    any.unlabeledBags()));
        }
        md.append("\nPer seed (AUC):\n\n");
        for (var e : byArm.entrySet()) {
            md.append("- ").append(e.getKey()).append(": ");
            List<String> parts = new ArrayList<>();
            for (var r : e.getValue().values()) {
                String extra = r.pseudoBags() > 0 ? String.format(Locale.ROOT, " (%d pseudo-labelled, %d wrong)",
                        r.pseudoBags(), r.pseudoErrors()) : "";
                parts.add(String.format(Locale.ROOT, "seed %d %.3f%s", r.seed(), r.auc(), extra));
            }
            md.append(String.join(", ", parts)).append('\n');
        }
        return md.toString();
    }

    static String pm(List<Double> x) {
        return String.format(Locale.ROOT, "%.3f ± %.3f", mean(x), std(x));
    }

    static String signedPm(List<Double> x) {
        return x.isEmpty() ? "n/a" : String.format(Locale.ROOT, "%+.3f ± %.3f", mean(x), std(x));
    }

    static double mean(List<Double> x) {
        return x.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n − 1); 0 for a single value. */
    static double std(List<Double> x) {
        if (x.size() < 2) {
            return 0;
        }
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.size() - 1));
    }
}
