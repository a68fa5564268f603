package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secure-aggregation cost benchmark at its quick size (K = 5, 2 rounds): it runs and its figures add up. */
class SecAggBenchmarkSmokeTest {

    @Test
    void secAggGivesBytesTimesAndComputeAgainstPlainFedAvg(@TempDir Path dir) throws Exception {
        List<Figure> figures = new SecAggBenchmark().run(new PerfContext(dir, new PrintStream(
                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true));
        assertThat(figures).extracting(Figure::id).containsExactly("secagg.bytes_sent.k5", "secagg.bytes_received.k5",
                "secagg.round_time.k5", "secagg.site_cpu.k5", "secagg.aggregate.k5");
        for (Figure f : figures) {
            assertThat(f.value()).as(f.id()).isFinite().isPositive();
            assertThat(f.baseline()).as(f.id() + " baseline").isFinite().isPositive();
        }
        Figure sent = figures.get(0);
        // the plain upload is a float32 delta plus its header; the masked one is 8 bytes per coordinate, so the
        // extra is at least the plain delta's own bytes again (plus keys and shares)
        double plainDelta = sent.baseline() - 400; // the header is well under 400 bytes
        assertThat(sent.value()).isGreaterThan(plainDelta);
        assertThat(PerfBenchCommand.all()).extracting(PerfBenchmark::id).contains("secagg");
    }
}
