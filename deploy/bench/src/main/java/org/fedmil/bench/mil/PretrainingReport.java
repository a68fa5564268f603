package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table of the pretraining comparison ({@link PretrainingBenchmark}): per labelled fraction, held-out AUC of
 * the supervised federation with and without pretraining, mean ± sample std over splits, and the paired gain
 * (with − without, per split).
 */
final class PretrainingReport {

    private PretrainingReport() {
    }

    static boolean isPretrainingArm(RunRecord r) {
        return r.arm().startsWith("federated|labelled=") || r.arm().startsWith("federated+pretrain");
    }

    static String table(List<RunRecord> records) {
        // fraction → pretraining arm → seed → record
        Map<String, Map<String, Map<Long, RunRecord>>> byFraction = new TreeMap<>();
        for (RunRecord r : records) {
            if (!isPretrainingArm(r)) {
                continue;
            }
            String fraction = r.arm().substring(r.arm().indexOf("labelled=") + "labelled=".length());
            String kind = r.arm().substring(0, r.arm().indexOf('|'));
            byFraction.computeIfAbsent(fraction, k -> new TreeMap<>()).computeIfAbsent(kind, k -> new TreeMap<>())
                    .put(r.seed(), r);
        }
        StringBuilder out = new StringBuilder();
        out.append("| labelled fraction | labelled bags | pooling | arm | held-out AUC | paired gain | per split |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        for (var f : byFraction.entrySet()) {
            Map<Long, RunRecord> without = f.getValue().getOrDefault("federated", Map.of());
            for (var arm : f.getValue().entrySet()) {
                List<Double> aucs = new ArrayList<>();
                List<Double> gains = new ArrayList<>();
                List<Double> labelled = new ArrayList<>();
                StringBuilder perSplit = new StringBuilder();
                String pooling = "";
                for (RunRecord r : arm.getValue().values()) {
                    aucs.add(r.auc());
                    labelled.add((double) r.trainingBags());
                    pooling = r.architecture();
                    perSplit.append(perSplit.length() == 0 ? "" : ", ")
                            .append(String.format(Locale.ROOT, "%d: %.3f", r.seed(), r.auc()));
                    RunRecord base = without.get(r.seed());
                    if (base != null && !arm.getKey().equals("federated")) {
                        gains.add(r.auc() - base.auc());
                    }
                }
                out.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s | %s | %s |%n", f.getKey(),
                        BenchReport.mean(labelled), pooling,
                        arm.getKey().equals("federated") ? "supervised rounds only" : arm.getKey()
                                .replace("federated+pretrain", "") + " pretraining rounds, then supervised",
                        pm(aucs), gains.isEmpty() ? "" : pmSigned(gains), perSplit));
            }
        }
        return out.toString();
    }

    private static String pm(List<Double> xs) {
        return String.format(Locale.ROOT, "%.3f ± %.3f", BenchReport.mean(xs), BenchReport.std(xs));
    }

    private static String pmSigned(List<Double> xs) {
        return String.format(Locale.ROOT, "%+.3f ± %.3f", BenchReport.mean(xs), BenchReport.std(xs));
    }
}
