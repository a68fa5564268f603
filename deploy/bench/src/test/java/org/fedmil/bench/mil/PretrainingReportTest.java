package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PretrainingReportTest {

    private static RunRecord record(long seed, String arm, int labelled, double auc) {
        return new RunRecord("crc-nuclei", seed, "attention", arm, labelled, 25, auc, auc - 0.1, auc + 0.1, 0.5, 0.5,
                Double.NaN, 1.0);
    }

    @Test
    void pairsEachSplitsArmsAndReportsTheMeanGainPerLabelledFraction() {
        List<RunRecord> records = List.of(
                record(1, PretrainingBenchmark.armWithout(0.2), 16, 0.80),
                record(1, PretrainingBenchmark.armWith(0.2, 3), 16, 0.90),
                record(2, PretrainingBenchmark.armWithout(0.2), 14, 0.70),
                record(2, PretrainingBenchmark.armWith(0.2, 3), 14, 0.60),
                // not a pretraining arm: left out
                record(1, "federated", 73, 0.99));

        String table = PretrainingReport.table(records);

        // without: 0.75 ± 0.0707; with: 0.75 ± 0.2121; gains +0.10 and −0.10: +0.000 ± 0.141
        assertThat(table).contains("| 0.2 | 15.0 | attention | supervised rounds only | 0.750 ± 0.071 |  | 1: 0.800, "
                + "2: 0.700 |");
        assertThat(table).contains("| 0.2 | 15.0 | attention | 3 pretraining rounds, then supervised | 0.750 ± 0.212 "
                + "| +0.000 ± 0.141 | 1: 0.900, 2: 0.600 |");
        assertThat(table).doesNotContain("0.990");
    }
}
