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

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private List<Figure> quick(PerfBenchmark benchmark) throws Exception {
        PerfContext context = new PerfContext(dir, new PrintStream(log, true, StandardCharsets.UTF_8), true);
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
    void transportGivesFiguresFromLikeForLikeRunsWithCpuSecondsPerGigabyte() throws Exception {
        assertThat(quick(new TransportBenchmark())).extracting(Figure::id).contains("transport.download",
                "transport.upload");
        String out = log.toString(StandardCharsets.UTF_8);
        java.util.regex.Matcher ciphers = java.util.regex.Pattern
                .compile("transport cipher suites: gRPC (\\S+) \\(.*\\), raw JDK TLS (\\S+)").matcher(out);
        assertThat(ciphers.find()).as("the cipher suites line in:\n" + out).isTrue();
        assertThat(ciphers.group(2)).as("the raw TLS baseline's cipher suite").isEqualTo(ciphers.group(1));
        assertThat(out).contains("transport ratio gRPC/raw TLS per CPU-second: download median")
                .containsPattern("CPU-s/GB \\(whole process, medians\\): gRPC down \\d+\\.\\d+ up \\d+\\.\\d+");
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
