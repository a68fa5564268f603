package org.fedmil.bench.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;

/** The rows of docs/benchmarks.md: each run, then FedMIL / Flower ratios of each pair (run i against run i). */
final class PeersTable {

    private PeersTable() {
    }

    static final String HEADER = "| K | run | framework | coordinator / server peak RSS MiB | coordinator / server CPU s "
            + "| site / client peak RSS MiB (min–max) | site / client CPU s (mean) | steady round s (median, rounds 3+) "
            + "| load avg (start → end) | all processes' peak RSS summed MiB | wire MiB up / down (whole run) "
            + "| wire MiB per site and round |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";

    static String row(PeerRun r) {
        return row(r, 0);
    }

    private static String row(PeerRun r, int index) {
        String wire = r.wire().measured() ? String.format(Locale.ROOT, "%.1f / %.1f | %.2f", r.wire().up() / 1048576.0,
                r.wire().down() / 1048576.0, r.wireMibPerSiteRound()) : "not counted | not counted";
        return String.format(Locale.ROOT, "| %d | %s | %s | %.0f | %.1f | %.0f–%.0f | %.1f | %.2f | %.1f → %.1f | %.0f | %s |",
                r.sites(), index == 0 ? "" : Integer.toString(index), r.framework(), r.server().peakRssMib(),
                r.server().cpuSeconds(), r.minClientRssMib(), r.maxClientRssMib(), r.meanClientCpu(),
                r.steadyRoundSeconds(), r.loadBefore(), r.loadAfter(), r.server().peakRssMib() + r.clientRssSumMib(),
                wire);
    }

    static String markdown(ModelSpec spec, ModelSize size, int rounds, String trainer, List<String> jvm,
                           List<PeerRun> runs) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Model %s: %s; %d rounds; FedMIL trainer: %s; FedMIL JVM options %s.%n%n",
                spec, size, rounds, trainer, jvm));
        s.append(HEADER);
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        for (PeerRun r : runs) {
            s.append(row(r, counts.merge(r.framework() + "/" + r.sites(), 1, Integer::sum))).append('\n');
        }
        List<String> ratios = ratios(runs);
        if (!ratios.isEmpty()) {
            s.append("\n| K | pair | coordinator RSS FedMIL/Flower | site RSS (max) FedMIL/Flower | coordinator CPU "
                    + "FedMIL/Flower | steady round FedMIL/Flower | wire bytes FedMIL/Flower |\n"
                    + "|---|---|---|---|---|---|---|\n");
            ratios.forEach(r -> s.append(r).append('\n'));
        }
        return s.toString();
    }

    /** A FedMIL run followed by a Flower run of the same K is a pair. */
    private static List<String> ratios(List<PeerRun> runs) {
        List<String> out = new ArrayList<>();
        java.util.Map<Integer, Integer> pairs = new java.util.HashMap<>();
        for (int i = 0; i + 1 < runs.size(); i++) {
            PeerRun a = runs.get(i);
            PeerRun b = runs.get(i + 1);
            if (a.framework().equals("FedMIL") && b.framework().equals("Flower") && a.sites() == b.sites()) {
                int pair = pairs.merge(a.sites(), 1, Integer::sum);
                String wire = a.wire().measured() && b.wire().measured() ? String.format(Locale.ROOT, "%.3f",
                        (double) a.wire().total() / b.wire().total()) : "not counted";
                out.add(String.format(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.2f | %.2f | %s |", a.sites(), pair,
                        a.server().peakRssMib() / b.server().peakRssMib(), a.maxClientRssMib() / b.maxClientRssMib(),
                        a.server().cpuSeconds() / b.server().cpuSeconds(),
                        a.steadyRoundSeconds() / b.steadyRoundSeconds(), wire));
                i++;
            }
        }
        return out;
    }
}
