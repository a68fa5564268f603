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
        // active runs since the common pool existed also score every arm on it (a seed's pool is the same bags
        // for all its arms); older result lines have none, and then the table keeps its old columns
        boolean pool = records.stream().anyMatch(r -> r.poolBags() > 0);
        StringBuilder md = new StringBuilder();
        md.append("| arm | AUC | Δ vs ").append(reference).append(" (paired) | seeds | labelled / unlabeled bags |");
        md.append(pool ? " pool AUC | Δ pool vs " + reference + " (paired) |\n" : "\n");
        md.append("|---|---|---|---|---|").append(pool ? "---|---|\n" : "\n");
        for (var e : byArm.entrySet()) {
            List<Double> auc = new ArrayList<>();
            List<Double> gain = new ArrayList<>();
            List<Double> poolAuc = new ArrayList<>();
            List<Double> poolGain = new ArrayList<>();
            for (var r : e.getValue().values()) {
                auc.add(r.auc());
                Optional.ofNullable(ref.get(r.seed())).ifPresent(b -> gain.add(r.auc() - b.auc()));
                if (r.poolBags() > 0) {
                    poolAuc.add(r.poolAuc());
                    Optional.ofNullable(ref.get(r.seed())).filter(b -> b.poolBags() == r.poolBags())
                            .ifPresent(b -> poolGain.add(r.poolAuc() - b.poolAuc()));
                }
            }
            ToolboxRecord any = e.getValue().values().iterator().next();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d / %d |", e.getKey(), pm(auc),
                    e.getKey().equals(reference) ? "—" : signedPm(gain), auc.size(), any.labelledBags(),
                    any.unlabeledBags()));
            if (pool) {
                md.append(String.format(Locale.ROOT, " %s | %s |", poolAuc.isEmpty() ? "n/a" : pm(poolAuc),
                        e.getKey().equals(reference) ? "—" : signedPm(poolGain)));
            }
            md.append('\n');
        }
        md.append("\nPer seed (AUC):\n\n");
        for (var e : byArm.entrySet()) {
            md.append("- ").append(e.getKey()).append(": ");
            List<String> parts = new ArrayList<>();
            for (var r : e.getValue().values()) {
                String extra = r.pseudoBags() > 0 ? String.format(Locale.ROOT, " (%d pseudo-labelled, %d wrong)",
                        r.pseudoBags(), r.pseudoErrors()) : "";
                if (r.poolBags() > 0) {
                    extra += String.format(Locale.ROOT, " (pool %.3f on %d bags)", r.poolAuc(), r.poolBags());
                }
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
