package org.fedmil.bench.scale;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.bench.perf.Figure;
import org.fedmil.bench.perf.PerfBenchmark;
import org.fedmil.bench.perf.PerfContext;

/**
 * How the coordinator scales with the number of sites: one coordinator (its own JVM) and many simulated sites
 * (one client JVM, real protocol, real mutual TLS, each site its own certificate). Figures at each size against
 * the smallest size of the same run:
 * round time, coordinator heap after GC with every site connected, coordinator threads added per connected site.
 * Set {@code -Dfedmil.bench.scale.sites=10,100,500} to choose the sizes (the first is the baseline).
 */
public final class ScaleBenchmark implements PerfBenchmark {

    @Override
    public String id() {
        return "scale";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int[] sizes = sizes(context);
        int rounds = context.pick(10, 2);
        // sites poll as the agents' default does; each held poll is a call in flight at the coordinator
        int pollWaitMs = 2_000;
        List<ScaleRun.Result> results = new ArrayList<>();
        for (int n : sizes) {
            context.out().println("scale: " + n + " sites, " + rounds + " rounds");
            results.add(ScaleRun.run(context.work().resolve("scale-" + n), n, rounds, pollWaitMs,
                    context.quick() ? "512m" : "2g", context.out()));
        }
        ScaleRun.Result base = results.get(0);
        List<Figure> figures = new ArrayList<>();
        for (ScaleRun.Result r : results.subList(1, results.size())) {
            String how = r.sites() + " simulated sites (no DJL at the sites: a fixed small delta), " + r.rounds()
                    + " rounds, attention model hidden 8 / attention 4, held-out evaluation with DJL every round; "
                    + "coordinator in its own JVM";
            figures.add(new Figure("scale.round_time." + r.sites(), "round time, " + r.sites() + " sites",
                    r.medianRoundSeconds() * 1000, "ms", base.medianRoundSeconds() * 1000,
                    "same federation with " + base.sites() + " sites", Double.NaN, false,
                    how + "; median of rounds 2.." + r.rounds() + " from metrics.json"));
            figures.add(new Figure("scale.heap." + r.sites(), "coordinator heap after GC, " + r.sites()
                    + " sites connected", r.loadedHeapBytes() / 1048576.0, "MiB", base.loadedHeapBytes() / 1048576.0,
                    "same with " + base.sites() + " sites connected", Double.NaN, false,
                    how + "; MemoryMXBean after System.gc() mid-run; with 0 sites: "
                            + String.format(java.util.Locale.ROOT, "%.1f MiB", r.idleHeapBytes() / 1048576.0)));
            figures.add(new Figure("scale.threads_per_site." + r.sites(), "coordinator threads per connected site, "
                    + r.sites() + " sites", r.threadsPerSite(), "threads", base.threadsPerSite(),
                    "same with " + base.sites() + " sites", Double.NaN, false,
                    how + "; (peak thread count during rounds − thread count with 0 sites) / sites: " + r.peakThreads()
                            + " − " + r.idleThreads() + "; open fds " + r.idleFds() + " → " + r.loadedFds()));
        }
        return figures;
    }

    private static int[] sizes(PerfContext context) {
        String p = System.getProperty("fedmil.bench.scale.sites");
        if (p != null && !p.isBlank()) {
            return java.util.Arrays.stream(p.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        }
        return context.quick() ? new int[] {2, 10} : new int[] {10, 100};
    }
}
