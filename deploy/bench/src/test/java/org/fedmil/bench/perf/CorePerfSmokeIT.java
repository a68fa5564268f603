package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the aggregation, transport and round-overhead benchmarks at their quick sizes: they must run and give finite,
 * positive figures. No timing is asserted here; targets live in docs/benchmarks.md only.
 */
class CorePerfSmokeIT {

    @TempDir
    Path dir;

    private List<Figure> quick(PerfBenchmark benchmark) throws Exception {
        PerfContext context = new PerfContext(dir, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), true);
        List<Figure> figures = benchmark.run(context);
        assertThat(figures).isNotEmpty();
        for (Figure f : figures) {
            assertThat(f.id()).startsWith(benchmark.id() + ".");
            assertThat(f.value()).as(f.id()).isFinite().isPositive();
            assertThat(f.baseline()).as(f.id() + " baseline").isFinite().isPositive();
        }
        return figures;
    }

    @Test
    void aggregationGivesHeapAndThroughputFigures() throws Exception {
        List<Figure> figures = quick(new AggregationBenchmark());
        assertThat(figures).extracting(Figure::id).contains("aggregation.throughput.fold",
                "aggregation.throughput.decode_fold", "aggregation.throughput.wire_fold", "aggregation.heap.retained.k4",
                "aggregation.heap.peak.k4");
    }

    @Test
    void transportGivesDownloadAndUploadFigures() throws Exception {
        assertThat(quick(new TransportBenchmark())).extracting(Figure::id).contains("transport.download",
                "transport.upload");
    }

    @Test
    void roundOverheadGivesItsFigures() throws Exception {
        assertThat(quick(new RoundOverheadBenchmark())).extracting(Figure::id).contains("rounds.overhead",
                "rounds.close.evaluate", "rounds.close.record");
    }

    @Test
    void theRegistryHoldsTheseBenchmarks() {
        assertThat(PerfBenchCommand.all()).extracting(PerfBenchmark::id).contains("aggregation", "transport", "rounds");
    }
}
