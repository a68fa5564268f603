package org.fedmil.bench.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ToolboxReportTest {

    private static ToolboxRecord r(long seed, String arm, double auc) {
        return new ToolboxRecord("crc-nuclei", seed, "active", arm, 38, 35, 0, 0, 25, auc, 1.0, 0, 0);
    }

    private static ToolboxRecord pooled(long seed, String arm, double auc, int poolBags, double poolAuc) {
        return new ToolboxRecord("crc-nuclei", seed, "active", arm, 38, 35, 0, 0, 25, auc, 1.0, poolBags, poolAuc);
    }

    @Test
    void eachArmGetsMeanSampleStdAndThePairedDifferenceToTheReferenceOnTheSameSeeds() {
        String md = ToolboxReport.markdown(List.of(r(1, "random", 0.70), r(1, "suggested", 0.80),
                r(2, "random", 0.60), r(2, "suggested", 0.60), r(3, "random", 0.90), r(3, "suggested", 0.95)));
        // random: mean 0.7333, sample std 0.1528; suggested − random per seed: 0.10, 0.00, 0.05 → +0.050 ± 0.050
        assertThat(md).contains("| random | 0.733 ± 0.153 | — | 3 | 38 / 35 |");
        assertThat(md).contains("| suggested | 0.783 ± 0.176 | +0.050 ± 0.050 | 3 | 38 / 35 |");
        assertThat(md).contains("- suggested: seed 1 0.800, seed 2 0.600, seed 3 0.950");
    }

    @Test
    void aSeedRunTwiceCountsOnceWithItsLaterResult() {
        String md = ToolboxReport.markdown(List.of(r(1, "random", 0.5), r(1, "random", 0.7)));
        assertThat(md).contains("| random | 0.700 ± 0.000 | — | 1 |");
    }

    @Test
    void theCommonPoolGetsItsOwnColumnsPairedOnTheSameSeeds() {
        String md = ToolboxReport.markdown(List.of(pooled(1, "random", 0.70, 60, 0.80), pooled(1, "suggested", 0.80,
                60, 0.90), pooled(2, "random", 0.60, 58, 0.70), pooled(2, "suggested", 0.60, 58, 0.75)));
        // pool: random 0.75 ± 0.0707, suggested 0.825 ± 0.106; per seed +0.10, +0.05 → +0.075 ± 0.035
        assertThat(md).contains("| arm | AUC | Δ vs random (paired) | seeds | labelled / unlabeled bags | pool AUC | "
                + "Δ pool vs random (paired) |");
        assertThat(md).contains("| random | 0.650 ± 0.071 | — | 2 | 38 / 35 | 0.750 ± 0.071 | — |");
        assertThat(md).contains("| suggested | 0.700 ± 0.141 | +0.050 ± 0.071 | 2 | 38 / 35 | 0.825 ± 0.106 | "
                + "+0.075 ± 0.035 |");
        assertThat(md).contains("- suggested: seed 1 0.800 (pool 0.900 on 60 bags), seed 2 0.600 (pool 0.750 on 58 "
                + "bags)");
    }

    @Test
    void resultLinesFromBeforeThePoolReadAsHavingNoneAndKeepTheOldTable(@org.junit.jupiter.api.io.TempDir
                                                                         java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path file = dir.resolve("old.jsonl");
        java.nio.file.Files.writeString(file, "{\"dataset\":\"crc-nuclei\",\"seed\":1,\"experiment\":\"active\","
                + "\"arm\":\"random\",\"labelledBags\":31,\"unlabeledBags\":42,\"pseudoBags\":0,"
                + "\"pseudoErrors\":0,\"heldoutBags\":25,\"auc\":0.782,\"seconds\":40.1}\n");
        List<ToolboxRecord> read = ToolboxBenchCommand.readResults(file);
        assertThat(read).singleElement().satisfies(r -> {
            assertThat(r.poolBags()).isZero();
            assertThat(r.auc()).isEqualTo(0.782);
        });
        assertThat(ToolboxReport.markdown(read)).contains("| arm | AUC | Δ vs random (paired) | seeds | labelled / "
                + "unlabeled bags |\n").doesNotContain("pool");
    }
}
