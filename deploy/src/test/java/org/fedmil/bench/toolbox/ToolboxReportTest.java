package org.fedmil.bench.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ToolboxReportTest {

    private static ToolboxRecord r(long seed, String arm, double auc) {
        return new ToolboxRecord("crc-nuclei", seed, "active", arm, 38, 35, 0, 0, 25, auc, 1.0);
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
}
