package org.fedmil.site.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The decision threshold: chosen on labelled bags by Youden's J, never a silent 0.5. */
class DecisionThresholdTest {

    @Test
    void separableScoresGetAThresholdBetweenTheClassesWhereverTheyLie() {
        // a model whose scores all sit below 0.5: at 0.5 it would call every bag negative
        DecisionThreshold t = DecisionThreshold.youden(new int[]{0, 0, 0, 1, 1}, new float[]{0.05f, 0.1f, 0.2f,
                0.3f, 0.4f}, "v");
        assertThat(t.value()).isEqualTo(0.25, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(t.sensitivity()).isEqualTo(1.0);
        assertThat(t.specificity()).isEqualTo(1.0);
        assertThat(t.decide(0.26)).isEqualTo(1);
        assertThat(t.decide(0.24)).isZero();
        assertThat(t.negatives()).isEqualTo(3);
        assertThat(t.positives()).isEqualTo(2);
    }

    @Test
    void overlappingScoresMaximiseSensitivityPlusSpecificity() {
        int[] labels = {0, 0, 1, 0, 1, 1};
        float[] p = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
        DecisionThreshold t = DecisionThreshold.youden(labels, p, "v");
        // at 0.25: sens 1, spec 2/3 (J 0.667); at 0.45: sens 2/3, spec 1 (J 0.667); between them J is lower
        assertThat(t.sensitivity() + t.specificity() - 1).isEqualTo(2 / 3.0, org.assertj.core.api.Assertions
                .within(1e-9));
        assertThat(Math.min(Math.abs(t.value() - 0.25), Math.abs(t.value() - 0.45))).isLessThan(1e-6);
    }

    @Test
    void oneClassCannotChooseAThresholdAndSaysWhatToGive() {
        assertThatThrownBy(() -> DecisionThreshold.youden(new int[]{1, 1}, new float[]{0.2f, 0.9f}, "the bags in v"))
                .hasMessageContaining("the bags in v holds 0 negative and 2 positive")
                .hasMessageContaining("--threshold");
    }

    @Test
    void aGivenThresholdMustBeAProbability() {
        assertThat(DecisionThreshold.given(0.3).decide(0.3)).isEqualTo(1);
        assertThatThrownBy(() -> DecisionThreshold.given(1.5)).hasMessageContaining("[0, 1]");
    }
}
