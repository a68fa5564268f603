package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PairedRatiosTest {

    @Test
    void eachPairIsProductOverItsOwnBaseline() {
        // the product's second repetition was slowed with the baseline's: the pair ratio does not see it
        PairedRatios r = PairedRatios.of(new double[] {110, 55, 90}, new double[] {100, 50, 100});
        assertThat(r.ratios()).containsExactly(1.1, 1.1, 0.9);
        assertThat(r.median()).isCloseTo(1.1, within(1e-12));
        assertThat(r.min()).isCloseTo(0.9, within(1e-12));
        assertThat(r.max()).isCloseTo(1.1, within(1e-12));
        assertThat(r.atLeast(1.0)).isEqualTo(2);
    }

    @Test
    void summaryNamesMedianSpreadAndPairsMeetingTheTarget() {
        PairedRatios r = PairedRatios.of(new double[] {80, 90, 120, 100}, new double[] {100, 100, 100, 100});
        assertThat(r.summary(0.8)).isEqualTo("median 0.950 (min 0.800, max 1.200, 4 of 4 pairs ≥ 0.80)");
    }

    @Test
    void unequalRepetitionCountsAreRefusedWithBothCounts() {
        assertThatThrownBy(() -> PairedRatios.of(new double[] {1, 2, 3}, new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 product repetitions against 2 baseline repetitions");
        assertThatThrownBy(() -> PairedRatios.of(new double[0], new double[0]))
                .hasMessageContaining("no pairs measured");
    }
}
