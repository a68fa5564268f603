package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The training-variant comparison of docs/results.md from the records of {@code bench mil --variants}: per
 * label-noise setting and variant the final held-out AUC, mean ± sample std over splits, and its difference to
 * the {@code default} arm of the same split and noise (paired: both arms start from the same split and initial
 * model), mean ± sample std over splits.
 */
public final class VariantReport {

    private VariantReport() {
    }

    public static String table(List<RunRecord> records) {
        Map<String, List<RunRecord>> groups = new LinkedHashMap<>();
        for (RunRecord r : records) {
            if (r.variant() != null) {
                groups.computeIfAbsent(noise(r) + "\u0000" + r.variant(), k -> new ArrayList<>()).add(r);
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("| labels flipped | variant | final held-out AUC, mean ± std | Δ vs default, paired | per split "
                + "(seed) | splits |\n|---|---|---|---|---|---|\n");
        for (List<RunRecord> group : groups.values()) {
            List<RunRecord> rs = group.stream().sorted(java.util.Comparator.comparingLong(RunRecord::seed)).toList();
            RunRecord first = rs.get(0);
            List<Double> auc = rs.stream().map(RunRecord::auc).toList();
            List<Double> deltas = new ArrayList<>();
            for (RunRecord r : rs) {
                records.stream().filter(d -> TrainingVariant.DEFAULT.equals(d.variant()) && d.seed() == r.seed()
                                && d.dataset().equals(r.dataset()) && Objects.equals(d.labelNoise(), r.labelNoise()))
                        .findFirst().ifPresent(d -> deltas.add(r.auc() - d.auc()));
            }
            StringBuilder per = new StringBuilder();
            for (RunRecord r : rs) {
                per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f (%d)", r.auc(),
                        r.seed()));
            }
            String delta = first.variant().equals(TrainingVariant.DEFAULT) || deltas.isEmpty() ? "—"
                    : String.format(Locale.ROOT, "%+.3f ± %.3f", BenchReport.mean(deltas), BenchReport.std(deltas));
            out.append("| ").append(noise(first)).append(" | `").append(first.variant()).append("` | ")
                    .append(BenchReport.pm(auc)).append(" | ").append(delta).append(" | ").append(per).append(" | ")
                    .append(rs.size()).append(" |\n");
        }
        return out.toString();
    }

    private static String noise(RunRecord r) {
        return r.labelNoise() == null ? "none" : r.labelNoise();
    }
}
