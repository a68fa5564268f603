package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SecAgg+ benchmark at its quick size (K = 10, k = 8, 2 rounds): SecAgg+ costs a site less, same model. */
class SecAggPlusBenchmarkSmokeTest {

    @Test
    void secAggPlusSendsLessPerSiteAndGivesPlainFedAvgsModelWithinFloat32Error(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Figure> figures = new SecAggPlusBenchmark().run(new PerfContext(dir, new PrintStream(out, true,
                StandardCharsets.UTF_8), true));
        Map<String, Figure> byId = figures.stream().collect(Collectors.toMap(Figure::id, Function.identity()));
        assertThat(byId).containsKeys("secagg_plus.site_cpu.k10", "secagg_plus.coordinator_cpu.k10",
                "secagg_plus.round_time.k10", "secagg_plus.bytes_sent.k10", "secagg_plus.bytes_received.k10",
                "secagg_plus.max_abs_diff.k10");
        assertThat(byId.get("secagg_plus.site_cpu.k10").value()).isFinite().isPositive();
        // 9 shares to send under full SecAgg, 8 + 1 own under k = 8: fewer shares out, fewer ciphertexts in
        assertThat(byId.get("secagg_plus.bytes_received.k10").value())
                .isLessThan(byId.get("secagg_plus.bytes_received.k10").baseline());
        Figure diff = byId.get("secagg_plus.max_abs_diff.k10");
        assertThat(diff.value()).isLessThan(1e-5);
        assertThat(diff.baseline()).isLessThan(1e-5);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("secagg+ k=8 t=6");
        assertThat(PerfBenchCommand.all()).extracting(PerfBenchmark::id).contains("secagg-plus");
    }
}
