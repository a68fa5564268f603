package org.fedmil.bench.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil bench perf}: runs the speed and memory benchmarks and rewrites docs/benchmarks.md. Targets live
 * here and in that file, never in timed unit tests.
 */
@Command(name = "perf", mixinStandardHelpOptions = true,
        description = "Speed and memory benchmarks, each against an in-run baseline; rewrites docs/benchmarks.md.")
public final class PerfBenchCommand implements Callable<Integer> {

    /** Every benchmark, in the order of the table. Add new ones here. */
    static List<PerfBenchmark> all() {
        return List.of(new AggregationBenchmark(), new TransportBenchmark(), new RoundOverheadBenchmark(),
                new org.fedmil.bench.scale.ScaleBenchmark(), new TrainingThroughputBenchmark(),
                new NativeMemoryBenchmark(), new CompressionBenchmark(), new SecAggBenchmark(), new SecAggPlusBenchmark(),
                new SlideTilingBenchmark());
    }

    @Option(names = "--only", split = ",", description = "run only these benchmark ids")
    Set<String> only;

    @Option(names = "--report", defaultValue = "docs/benchmarks.md", description = "the page to rewrite")
    Path report;

    @Option(names = "--work", defaultValue = "target/bench-perf", description = "scratch folder")
    Path work;

    @Option(names = "--quick", description = "small sizes and few repetitions (a smoke run); the page is not written")
    boolean quick;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(work);
        PerfContext context = new PerfContext(work, System.out, quick);
        Map<String, List<Figure>> figures = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (PerfBenchmark b : all()) {
            order.add(b.id());
            if (only != null && !only.contains(b.id())) {
                continue;
            }
            System.out.println("== " + b.id());
            List<Figure> got = b.run(context);
            for (Figure f : got) {
                System.out.printf(java.util.Locale.ROOT, "%s: %.4g %s (baseline %.4g, ratio %.3f)%n", f.name(),
                        f.value(), f.unit(), f.baseline(), f.ratio());
            }
            figures.put(b.id(), got);
        }
        if (!quick) {
            BenchmarksPage.write(report, Machine.current(), order, figures,
                    "fedmil bench perf" + (only == null ? "" : " --only " + String.join(",", only)));
            System.out.println("wrote " + report);
        }
        return 0;
    }
}
