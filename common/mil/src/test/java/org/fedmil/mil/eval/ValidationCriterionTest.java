package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ValidationCriterionTest {

    private static final OptionalDouble NONE = OptionalDouble.empty();

    private static ValidationMetrics v(double loss, OptionalDouble auc) {
        return new ValidationMetrics(6, 4, loss, auc);
    }

    private static ValidationMetrics v(double loss, double auc) {
        return v(loss, OptionalDouble.of(auc));
    }

    @Test
    void byLossTheLowerLossWinsWhateverTheAuc() {
        assertThat(ValidationCriterion.LOSS.better(v(0.40, 0.70), v(0.45, 0.95))).isTrue();
        assertThat(ValidationCriterion.LOSS.better(v(0.50, 0.99), v(0.45, 0.70))).isFalse();
    }

    @Test
    void byAucAHigherAucWinsEvenAtAHigherLoss() {
        // more confident, so a higher BCE, but a better ranking
        assertThat(ValidationCriterion.AUC.better(v(0.55, 0.93), v(0.45, 0.90))).isTrue();
        assertThat(ValidationCriterion.AUC.better(v(0.30, 0.89), v(0.45, 0.90))).isFalse();
    }

    @Test
    void byAucAnEqualAucIsDecidedByTheLoss() {
        assertThat(ValidationCriterion.AUC.better(v(0.20, 1.0), v(0.25, 1.0))).isTrue();
        assertThat(ValidationCriterion.AUC.better(v(0.30, 1.0), v(0.25, 1.0))).isFalse();
    }

    @Test
    void theFirstModelAlwaysWinsAndAModelWithAnAucBeatsOneWithout() {
        for (ValidationCriterion c : ValidationCriterion.values()) {
            assertThat(c.better(v(5.0, NONE), null)).isTrue();
        }
        // validation bags of one class give no AUC: then the loss decides, and an AUC once seen is preferred
        assertThat(ValidationCriterion.AUC.better(v(0.3, NONE), v(0.4, NONE))).isTrue();
        assertThat(ValidationCriterion.AUC.better(v(0.1, NONE), v(0.4, 0.6))).isFalse();
        assertThat(ValidationCriterion.AUC.better(v(0.9, 0.6), v(0.4, NONE))).isTrue();
    }

    @Test
    void theBalancedLossWeighsBothClassesAlikeWhateverTheirCounts() {
        // 8 negatives at 0.2 and 2 positives at 1.4: plain 0.44, balanced 0.8
        ValidationMetrics skewed = new ValidationMetrics(8, 2, 0.44, NONE, 0.2, 1.4);
        assertThat(skewed.balancedLoss()).isCloseTo(0.8, within(1e-12));
        // 8 negatives at 0.5 and 2 positives at 0.7: plain 0.54 (worse), balanced 0.6 (better)
        ValidationMetrics even = new ValidationMetrics(8, 2, 0.54, NONE, 0.5, 0.7);
        assertThat(ValidationCriterion.LOSS.better(even, skewed)).isFalse();
        assertThat(ValidationCriterion.BALANCED_LOSS.better(even, skewed)).isTrue();
        // one class, or an older site's report without per-class losses: the plain loss
        assertThat(new ValidationMetrics(8, 0, 0.3, NONE, 0.3, Double.NaN).balancedLoss()).isEqualTo(0.3);
        assertThat(v(0.35, NONE).balancedLoss()).isEqualTo(0.35);
    }

    @Test
    void aModelHasLearnedOnceItsLossIsFivePercentUnderAConstantGuess() {
        // balanced: ln 2 = 0.6931, the bar 0.6585
        assertThat(ValidationCriterion.BALANCED_LOSS.learned(new ValidationMetrics(6, 4, 0.60, NONE, 0.66, 0.66)))
                .isFalse();
        assertThat(ValidationCriterion.BALANCED_LOSS.learned(new ValidationMetrics(6, 4, 0.60, NONE, 0.60, 0.70)))
                .isTrue();
        // plain: the entropy of 6 negatives and 4 positives, 0.6730, the bar 0.6394
        assertThat(ValidationCriterion.LOSS.learned(v(0.65, NONE))).isFalse();
        assertThat(ValidationCriterion.LOSS.learned(v(0.63, NONE))).isTrue();
        // validation bags of one class cannot tell: patience alone decides
        assertThat(ValidationCriterion.BALANCED_LOSS.learned(new ValidationMetrics(10, 0, 0.9, NONE))).isTrue();
    }

    @Test
    void perClassLossesAreComputedFromTheScores() {
        ValidationMetrics m = ValidationMetrics.of(new int[] {0, 0, 1}, new float[] {0.2f, 0.4f, 0.9f});
        assertThat(m.negativeLoss()).isCloseTo((-Math.log(0.8) - Math.log(0.6)) / 2, within(1e-6));
        assertThat(m.positiveLoss()).isCloseTo(-Math.log(0.9), within(1e-6));
        assertThat(m.loss()).isCloseTo((2 * m.negativeLoss() + m.positiveLoss()) / 3, within(1e-6));
    }

    @Test
    void namesAreReadFromConfigAndUnknownOnesListTheChoices() {
        assertThat(ValidationCriterion.fromConfigName("auc")).isEqualTo(ValidationCriterion.AUC);
        assertThat(ValidationCriterion.fromConfigName("balanced_loss")).isEqualTo(ValidationCriterion.BALANCED_LOSS);
        assertThat(ValidationCriterion.fromConfigName("")).isEqualTo(ValidationCriterion.LOSS);
        assertThatThrownBy(() -> ValidationCriterion.fromConfigName("accuracy"))
                .hasMessageContaining("loss, balanced_loss, auc");
    }
}
