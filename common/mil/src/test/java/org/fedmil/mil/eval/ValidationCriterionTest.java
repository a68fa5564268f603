package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ValidationCriterionTest {

    private static final OptionalDouble NONE = OptionalDouble.empty();

    private static OptionalDouble auc(double a) {
        return OptionalDouble.of(a);
    }

    @Test
    void byLossTheLowerLossWinsWhateverTheAuc() {
        assertThat(ValidationCriterion.LOSS.better(0.40, auc(0.70), 0.45, auc(0.95))).isTrue();
        assertThat(ValidationCriterion.LOSS.better(0.50, auc(0.99), 0.45, auc(0.70))).isFalse();
    }

    @Test
    void byAucAHigherAucWinsEvenAtAHigherLoss() {
        // the case that motivates it: more confident, so a higher BCE, but a better ranking
        assertThat(ValidationCriterion.AUC.better(0.55, auc(0.93), 0.45, auc(0.90))).isTrue();
        assertThat(ValidationCriterion.AUC.better(0.30, auc(0.89), 0.45, auc(0.90))).isFalse();
    }

    @Test
    void byAucAnEqualAucIsDecidedByTheLoss() {
        assertThat(ValidationCriterion.AUC.better(0.20, auc(1.0), 0.25, auc(1.0))).isTrue();
        assertThat(ValidationCriterion.AUC.better(0.30, auc(1.0), 0.25, auc(1.0))).isFalse();
    }

    @Test
    void theFirstModelAlwaysWinsAndAModelWithAnAucBeatsOneWithout() {
        for (ValidationCriterion c : ValidationCriterion.values()) {
            assertThat(c.better(5.0, NONE, Double.POSITIVE_INFINITY, NONE)).isTrue();
            assertThat(c.better(5.0, auc(0.5), Double.POSITIVE_INFINITY, NONE)).isTrue();
        }
        // validation bags of one class give no AUC: then the loss decides, and an AUC once seen is preferred
        assertThat(ValidationCriterion.AUC.better(0.3, NONE, 0.4, NONE)).isTrue();
        assertThat(ValidationCriterion.AUC.better(0.1, NONE, 0.4, auc(0.6))).isFalse();
        assertThat(ValidationCriterion.AUC.better(0.9, auc(0.6), 0.4, NONE)).isTrue();
    }

    @Test
    void namesAreReadFromConfigAndUnknownOnesListTheChoices() {
        assertThat(ValidationCriterion.fromConfigName("auc")).isEqualTo(ValidationCriterion.AUC);
        assertThat(ValidationCriterion.fromConfigName("")).isEqualTo(ValidationCriterion.LOSS);
        assertThatThrownBy(() -> ValidationCriterion.fromConfigName("accuracy")).hasMessageContaining("loss, auc");
    }
}
