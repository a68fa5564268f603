package org.fedmil.mil.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BinaryMetricsTest {

    private static final double EXACT = 1e-12;

    @Test
    void perfectRankingScoresOneEverywhere() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0, 1, 1}, new float[] {0.1f, 0.4f, 0.6f, 0.9f});

        assertThat(m.n()).isEqualTo(4);
        assertThat(m.auc()).isEqualTo(1.0);
        assertThat(m.accuracy()).isEqualTo(1.0);
        assertThat(m.sensitivity()).isEqualTo(1.0);
        assertThat(m.specificity()).isEqualTo(1.0);
        // −(ln(1 − 0.1) + ln(1 − 0.4) + ln 0.6 + ln 0.9) / 4, from the float probabilities
        double expected = -(Math.log(1 - (double) 0.1f) + Math.log(1 - (double) 0.4f) + Math.log(0.6f)
                + Math.log(0.9f)) / 4;
        assertThat(m.loss()).isCloseTo(expected, within(1e-9)).isCloseTo(0.30809, within(1e-5));
    }

    @Test
    void invertedRankingScoresZero() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0, 1, 1}, new float[] {0.9f, 0.6f, 0.4f, 0.1f});

        assertThat(m.auc()).isEqualTo(0.0);
        assertThat(m.accuracy()).isEqualTo(0.0);
        assertThat(m.sensitivity()).isEqualTo(0.0);
        assertThat(m.specificity()).isEqualTo(0.0);
    }

    @Test
    void aTieBetweenAPositiveAndANegativeCountsOneHalf() {
        // pairs (pos, neg): (0.5, 0.5) = ½, (0.5, 0.2) = 1, (0.8, 0.5) = 1, (0.8, 0.2) = 1 → 3.5 / 4
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1, 0, 1}, new float[] {0.5f, 0.5f, 0.2f, 0.8f});

        assertThat(m.auc()).isCloseTo(0.875, within(EXACT));
        // 0.5 is on the threshold and counts as positive: the negative at 0.5 is a false positive
        assertThat(m.accuracy()).isCloseTo(0.75, within(EXACT));
        assertThat(m.sensitivity()).isEqualTo(1.0);
        assertThat(m.specificity()).isEqualTo(0.5);
    }

    @Test
    void tiesWithinOneClassDoNotMatterAndAllTiedIsChance() {
        BinaryMetrics sameClassTies = BinaryMetrics.of(new int[] {0, 0, 1, 1, 1},
                new float[] {0.3f, 0.3f, 0.7f, 0.7f, 0.2f});
        // positives 0.7, 0.7 beat both negatives (4 pairs); 0.2 loses to both (0) → 4 / 6
        assertThat(sameClassTies.auc()).isCloseTo(4.0 / 6, within(EXACT));

        BinaryMetrics allTied = BinaryMetrics.of(new int[] {0, 1, 1, 0, 1}, new float[] {0.4f, 0.4f, 0.4f, 0.4f, 0.4f});
        assertThat(allTied.auc()).isCloseTo(0.5, within(EXACT));
    }

    @Test
    void aucMatchesPairCountingOnAnUnevenExample() {
        int[] labels = {1, 0, 1, 1, 0, 0, 0, 1, 0};
        float[] p = {0.8f, 0.3f, 0.3f, 0.55f, 0.7f, 0.1f, 0.55f, 0.9f, 0.2f};
        double pairs = 0;
        double wins = 0;
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < labels.length; j++) {
                if (labels[i] == 1 && labels[j] == 0) {
                    pairs++;
                    wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
                }
            }
        }
        // by hand: 0.9 → 5, 0.8 → 5, 0.55 → 3.5 (beats 0.3, 0.1, 0.2; ties 0.55), 0.3 → 2.5 → 16 / 20
        assertThat(wins / pairs).isEqualTo(0.8);
        assertThat(BinaryMetrics.of(labels, p).auc()).isCloseTo(0.8, within(EXACT));
    }

    @Test
    void onlyPositivesLeavesAucAndSpecificityUndefined() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {1, 1, 1}, new float[] {0.9f, 0.2f, 0.6f});

        assertThat(m.auc()).isNaN();
        assertThat(m.specificity()).isNaN();
        assertThat(m.sensitivity()).isCloseTo(2.0 / 3, within(EXACT));
        assertThat(m.accuracy()).isCloseTo(2.0 / 3, within(EXACT));
    }

    @Test
    void onlyNegativesLeavesAucAndSensitivityUndefined() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0}, new float[] {0.9f, 0.2f});

        assertThat(m.auc()).isNaN();
        assertThat(m.sensitivity()).isNaN();
        assertThat(m.specificity()).isEqualTo(0.5);
    }

    @Test
    void aConfidentMistakeGivesALargeButFiniteLoss() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {1, 0}, new float[] {0f, 1f});

        assertThat(m.loss()).isCloseTo(-Math.log(1e-7), within(1e-6)).isCloseTo(16.118, within(1e-3));
    }

    @Test
    void noBagsGivesUndefinedMetrics() {
        BinaryMetrics m = BinaryMetrics.of(new int[0], new float[0]);

        assertThat(m.n()).isZero();
        assertThat(m.auc()).isNaN();
        assertThat(m.accuracy()).isNaN();
        assertThat(m.loss()).isNaN();
    }

    @Test
    void malformedInputIsRefusedWithTheReason() {
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.5f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 labels but 1 probabilities");
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 2}, new float[] {0.5f, 0.5f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label #1 is 2");
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.5f, Float.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("probability #1 is NaN");
    }
}
