package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;

/**
 * Cross-validation tables: per architecture and arm, the pooled AUC over all folds' held-out bags (every bag
 * scored once, by the model that did not train on it) with its bootstrap 95 % interval, and the mean ± std of the
 * per-fold AUCs; then every fold's AUCs. Local-only arms train on a different site in every fold, so they are
 * reported as the mean over sites per fold, not pooled.
 */
final class FoldReport {

    private static final String LOCAL = "local-only, mean of sites";

    private FoldReport() {
    }

    static String table(List<RunRecord> records) {
        StringBuilder out = new StringBuilder();
        Map<Long, List<RunRecord>> bySeed = new TreeMap<>();
        records.forEach(r -> bySeed.computeIfAbsent(r.seed(), k -> new ArrayList<>()).add(r));
        for (var seed : bySeed.entrySet()) {
            long folds = seed.getValue().stream().map(RunRecord::fold).distinct().count();
            out.append(String.format(Locale.ROOT, "Cross-validation, split seed %d, %d fold(s) run: pooled AUC over "
                    + "every held-out bag (bootstrap 95%% CI) and mean ± std of fold AUCs.%n%n", seed.getKey(), folds));
            out.append("| pooling | arm | pooled AUC [95% CI] | fold AUC mean ± std | folds | bags scored |\n")
                    .append("|---|---|---|---|---|---|\n");
            Map<String, Map<String, List<RunRecord>>> rows = group(seed.getValue());
            for (var arch : rows.entrySet()) {
                for (var arm : arch.getValue().entrySet()) {
                    out.append(row(arch.getKey(), arm.getKey(), arm.getValue()));
                }
            }
            out.append('\n').append(perFold(rows)).append('\n');
        }
        return out.toString();
    }

    /** architecture → arm → records; local arms under one name. */
    private static Map<String, Map<String, List<RunRecord>>> group(List<RunRecord> records) {
        Map<String, Map<String, List<RunRecord>>> rows = new TreeMap<>(Comparator.comparingInt(FoldReport::order)
                .thenComparing(a -> a));
        for (RunRecord r : records) {
            String arm = r.arm().startsWith("local:") ? LOCAL : r.arm()
                    + (r.dpNoise() == null ? "" : " σ " + r.dpNoise());
            rows.computeIfAbsent(r.architecture(), k -> new TreeMap<>(Comparator.comparingInt(FoldReport::armOrder)
                    .thenComparing(a -> a))).computeIfAbsent(arm, k -> new ArrayList<>()).add(r);
        }
        return rows;
    }

    private static String row(String architecture, String arm, List<RunRecord> rs) {
        List<Double> foldAucs = foldAucs(rs);
        String pooled = "–";
        int scored = 0;
        if (!arm.equals(LOCAL) && rs.stream().allMatch(r -> r.heldoutLabels() != null)) {
            int n = rs.stream().mapToInt(r -> r.heldoutLabels().size()).sum();
            int[] labels = new int[n];
            float[] p = new float[n];
            for (RunRecord r : rs) {
                for (int i = 0; i < r.heldoutLabels().size(); i++, scored++) {
                    labels[scored] = r.heldoutLabels().get(i);
                    p[scored] = r.heldoutProbabilities().get(i);
                }
            }
            AucInterval ci = BinaryMetrics.aucConfidenceInterval(labels, p);
            pooled = String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", BinaryMetrics.of(labels, p).auc(), ci.lower(),
                    ci.upper());
        }
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %s |%n", architecture, arm, pooled,
                BenchReport.pm(foldAucs), foldAucs.size(), scored == 0 ? "–" : String.valueOf(scored));
    }

    /** One AUC per fold: the arm's, or for local arms the mean over that fold's sites. */
    private static List<Double> foldAucs(List<RunRecord> rs) {
        Map<Integer, List<Double>> byFold = new TreeMap<>();
        rs.forEach(r -> byFold.computeIfAbsent(r.fold(), k -> new ArrayList<>()).add(r.auc()));
        return byFold.values().stream().map(BenchReport::mean).toList();
    }

    private static String perFold(Map<String, Map<String, List<RunRecord>>> rows) {
        List<String> arms = rows.values().stream().flatMap(m -> m.keySet().stream()).distinct()
                .sorted(Comparator.comparingInt(FoldReport::armOrder).thenComparing(a -> a)).toList();
        StringBuilder out = new StringBuilder("| pooling | fold | held-out bags (positive) |");
        arms.forEach(a -> out.append(' ').append(a).append(" |"));
        out.append("\n|---|---|---|").append("---|".repeat(arms.size())).append('\n');
        for (var arch : rows.entrySet()) {
            Map<Integer, Map<String, List<Double>>> byFold = new TreeMap<>();
            Map<Integer, String> sizes = new TreeMap<>();
            for (var arm : arch.getValue().entrySet()) {
                for (RunRecord r : arm.getValue()) {
                    byFold.computeIfAbsent(r.fold(), k -> new TreeMap<>())
                            .computeIfAbsent(arm.getKey(), k -> new ArrayList<>()).add(r.auc());
                    if (r.heldoutLabels() != null) {
                        sizes.put(r.fold(), r.heldoutBags() + " (" + r.heldoutLabels().stream()
                                .mapToInt(Integer::intValue).sum() + ")");
                    }
                }
            }
            for (var fold : byFold.entrySet()) {
                out.append("| ").append(arch.getKey()).append(" | ").append(fold.getKey()).append(" | ")
                        .append(sizes.getOrDefault(fold.getKey(), "–")).append(" |");
                for (String a : arms) {
                    List<Double> v = fold.getValue().get(a);
                    out.append(v == null ? " – |" : String.format(Locale.ROOT, " %.3f |", BenchReport.mean(v)));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static int order(String architecture) {
        int i = List.of("max", "mean", "attention", "gated_attention").indexOf(architecture);
        return i < 0 ? 99 : i;
    }

    private static int armOrder(String arm) {
        return arm.startsWith("federated") ? 0 : arm.equals("centralised") ? 1 : 2;
    }
}
