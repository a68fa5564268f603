package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The results table of docs/results.md: per architecture, held-out AUC mean ± sample standard deviation over
 * splits for the federated, centralised and local-only arms (local-only as the mean over sites and as the best
 * site of each split), and attention localisation.
 */
public final class BenchReport {

    private BenchReport() {
    }

    public static String table(List<RunRecord> records) {
        Map<String, List<RunRecord>> byArchitecture = new TreeMap<>(Comparator.comparingInt(BenchReport::order));
        for (RunRecord r : records) {
            byArchitecture.computeIfAbsent(r.architecture(), k -> new ArrayList<>()).add(r);
        }
        StringBuilder out = new StringBuilder();
        out.append("| pooling | federated (FedAvg) | centralised | local-only, mean of sites | local-only, best site "
                + "| localisation AUC, federated | localisation AUC, centralised | splits |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (var e : byArchitecture.entrySet()) {
            List<RunRecord> rs = e.getValue();
            Map<Long, List<RunRecord>> bySplit = rs.stream().collect(Collectors.groupingBy(RunRecord::seed,
                    TreeMap::new, Collectors.toList()));
            List<Double> fed = new ArrayList<>();
            List<Double> central = new ArrayList<>();
            List<Double> localMean = new ArrayList<>();
            List<Double> localBest = new ArrayList<>();
            List<Double> localisation = new ArrayList<>();
            List<Double> centralLocalisation = new ArrayList<>();
            for (List<RunRecord> split : bySplit.values()) {
                List<Double> locals = new ArrayList<>();
                for (RunRecord r : split) {
                    if (r.arm().equals("federated")) {
                        fed.add(r.auc());
                        localisation.add(r.localisation());
                    } else if (r.arm().equals("centralised")) {
                        central.add(r.auc());
                        centralLocalisation.add(r.localisation());
                    } else if (r.arm().startsWith("local:") && !Double.isNaN(r.auc())) {
                        locals.add(r.auc());
                    }
                }
                if (!locals.isEmpty()) {
                    localMean.add(mean(locals));
                    localBest.add(locals.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
                }
            }
            out.append("| ").append(e.getKey()).append(" | ").append(pm(fed)).append(" | ").append(pm(central))
                    .append(" | ").append(pm(localMean)).append(" | ").append(pm(localBest)).append(" | ")
                    .append(pm(localisation)).append(" | ").append(pm(centralLocalisation)).append(" | ")
                    .append(bySplit.size()).append(" |\n");
        }
        return out.toString();
    }

    /**
     * Federated arms without and with DP, per architecture and (σ, C): held-out AUC mean ± std over splits, ε, and
     * the median delta norm before clipping. Records written before DP came in (no rounds) are left out.
     */
    public static String dpTable(List<RunRecord> records) {
        Map<String, List<RunRecord>> rows = new TreeMap<>(Comparator
                .comparingInt((String k) -> order(k.substring(0, k.indexOf('|'))))
                .thenComparing(k -> k));
        for (RunRecord r : records) {
            if ((r.arm().equals("federated") || r.arm().equals("federated-dp")) && r.rounds() != null) {
                String key = r.architecture() + "|" + (r.dpNoise() == null ? " none"
                        : String.format(Locale.ROOT, "%012.6f|%s", r.dpNoise(), r.dpClip()));
                rows.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
            }
        }
        StringBuilder out = new StringBuilder("| pooling | noise multiplier σ | clip C | ε (add/remove a site) "
                + "| ε (replace a site) | held-out AUC | rounds | sites | median delta norm before clipping "
                + "| splits |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (List<RunRecord> rs : rows.values()) {
            RunRecord first = rs.get(0);
            List<Double> auc = rs.stream().map(RunRecord::auc).toList();
            List<Double> norms = rs.stream().map(RunRecord::medianDeltaNorm).toList();
            boolean dp = first.dpNoise() != null;
            out.append("| ").append(first.architecture()).append(" | ")
                    .append(dp ? fmt(first.dpNoise()) : "no DP").append(" | ")
                    .append(dp ? fmt(first.dpClip()) : "–").append(" | ")
                    .append(dp ? eps(first.epsilon()) : "∞").append(" | ")
                    .append(dp ? eps(first.epsilonReplaceOne()) : "∞").append(" | ")
                    .append(pm(auc)).append(" | ").append(first.rounds()).append(" | ").append(first.sites())
                    .append(" | ").append(pm(norms)).append(" | ").append(rs.size()).append(" |\n");
        }
        return out.toString();
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%s", x);
    }

    private static String eps(double x) {
        return x >= 100 ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.2f", x);
    }

    /** Federated AUC by number of training bags (one column per size), mean ± std over seeds. */
    public static String curve(List<RunRecord> records, String arm) {
        Map<String, Map<Integer, List<Double>>> rows = new TreeMap<>(Comparator.comparingInt(BenchReport::order));
        TreeMap<Integer, Boolean> sizes = new TreeMap<>();
        for (RunRecord r : records) {
            if (r.arm().equals(arm)) {
                rows.computeIfAbsent(r.architecture(), k -> new TreeMap<>())
                        .computeIfAbsent(r.trainingBags(), k -> new ArrayList<>()).add(r.auc());
                sizes.put(r.trainingBags(), true);
            }
        }
        StringBuilder out = new StringBuilder("| pooling |");
        sizes.keySet().forEach(n -> out.append(' ').append(n).append(" bags |"));
        out.append("\n|---|").append("---|".repeat(sizes.size())).append('\n');
        for (var row : rows.entrySet()) {
            out.append("| ").append(row.getKey()).append(" |");
            for (Integer n : sizes.keySet()) {
                out.append(' ').append(pm(row.getValue().getOrDefault(n, List.of()))).append(" |");
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static int order(String architecture) {
        List<String> known = List.of("max", "mean", "attention", "gated_attention");
        int i = known.indexOf(architecture);
        return i < 0 ? known.size() + architecture.hashCode() % 1000 : i;
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n − 1); 0 for a single value. */
    static double std(List<Double> xs) {
        if (xs.size() < 2) {
            return 0;
        }
        double m = mean(xs);
        double ss = 0;
        for (double x : xs) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (xs.size() - 1));
    }

    static String pm(List<Double> xs) {
        List<Double> defined = xs.stream().filter(x -> !Double.isNaN(x)).toList();
        if (defined.isEmpty()) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.3f ± %.3f", mean(defined), std(defined));
    }

    /**
     * The runs' warnings under the tables, one line per kind: how many runs raised it and which; empty when none
     * did. A table's mean hides a run that learned nothing; this says which one it was.
     */
    public static String warnings(List<RunRecord> records) {
        Map<org.fedmil.mil.eval.LearningWarning.Kind, List<String>> byKind = new TreeMap<>();
        for (RunRecord r : records) {
            for (var w : r.warnings()) {
                byKind.computeIfAbsent(w.kind(), k -> new ArrayList<>()).add(String.format(Locale.ROOT,
                        "%s %s seed %d", r.architecture(), r.arm(), r.seed()));
            }
        }
        if (byKind.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("\nWarnings (see \"The model learned nothing\" in "
                + "docs/operator-guide.md):\n\n");
        for (var e : byKind.entrySet()) {
            out.append("- ").append(e.getKey().code()).append(": ").append(e.getValue().size()).append(" of ")
                    .append(records.size()).append(" runs (").append(String.join(", ", e.getValue())).append(")\n");
        }
        return out.toString();
    }

    /** Records as the per-run rows a reader can check the table against. */
    public static Map<String, Object> summary(List<RunRecord> records) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runs", records.size());
        m.put("seconds", records.stream().mapToDouble(RunRecord::seconds).sum());
        return m;
    }
}
