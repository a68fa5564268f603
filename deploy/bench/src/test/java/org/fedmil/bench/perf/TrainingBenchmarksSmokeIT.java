package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quick runs of the training and native-memory benchmarks: they run and give sane figures. No timing asserted. */
class TrainingBenchmarksSmokeIT {

    @TempDir
    Path work;

    private PerfContext quick() {
        return new PerfContext(work, new PrintStream(new ByteArrayOutputStream()), true);
    }

    @Test
    void trainingThroughputGivesFinitePositiveRates() throws Exception {
        List<Figure> figures = new TrainingThroughputBenchmark().run(quick());
        assertThat(figures).isNotEmpty();
        for (Figure f : figures) {
            assertThat(f.value()).as(f.id()).isFinite().isPositive();
            // the peer needs Debian's python3-torch; without it the baseline is NaN and says why
            if (Files.isExecutable(Path.of(TrainingThroughputBenchmark.PEER_PYTHON)) && !Double.isNaN(f.baseline())) {
                assertThat(f.baseline()).as(f.id()).isFinite().isPositive();
            }
        }
    }

    @Test
    void nativeMemoryCheckSamplesEveryRound() throws Exception {
        List<Figure> figures = new NativeMemoryBenchmark().run(quick());
        assertThat(figures).hasSize(1);
        Figure growth = figures.get(0);
        // growth may be negative (the allocator gives memory back); the baseline RSS is a real size
        assertThat(growth.value()).isFinite();
        assertThat(growth.baseline()).isFinite().isPositive();
        assertThat(work.resolve("native-memory-data/rss.csv")).exists();
    }

    @Test
    void compressionGivesBytesAndAucsForFloat16AndInt8() throws Exception {
        List<Figure> figures = new CompressionBenchmark().run(quick());
        assertThat(figures).hasSize(4);
        for (Figure f : figures) {
            assertThat(f.value()).as(f.id()).isFinite().isPositive();
            assertThat(f.baseline()).as(f.id()).isFinite().isPositive();
        }
        // int8 is a quarter of float32 plus one scale per tensor
        assertThat(figures.get(2).ratio()).isBetween(0.25, 0.3);
    }

    @Test
    void slopeOfAStraightLineIsItsGradient() {
        List<NativeMemoryBenchmark.Sample> samples = List.of(new NativeMemoryBenchmark.Sample(1, 100, 8),
                new NativeMemoryBenchmark.Sample(2, 103, 8), new NativeMemoryBenchmark.Sample(3, 106, 8));
        assertThat(NativeMemoryBenchmark.slopeKibPerRound(samples, 1)).isCloseTo(3.0,
                org.assertj.core.api.Assertions.within(1e-9));
    }
}
