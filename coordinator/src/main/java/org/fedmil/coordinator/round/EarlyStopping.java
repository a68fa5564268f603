package org.fedmil.coordinator.round;

import org.fedmil.mil.eval.ValidationCriterion;

/**
 * When the federation stops before its rounds budget: once the federated validation loss has not improved on its
 * best for {@code patience} validated models, and not before round {@code minRounds}, nor while no model has yet
 * learned anything ({@link ValidationCriterion#learned}): a slow start is not a plateau. The held-out set plays no
 * part. Without any site validation nothing stops early.
 *
 * @param enabled   false: every round of the budget runs
 * @param patience  validated models after the best one without a lower loss before the run stops (≥ 1)
 * @param minRounds no early stop before this round has completed (≥ 1)
 * @param criterion what makes a validated model better (and which one is kept)
 */
public record EarlyStopping(boolean enabled, int patience, int minRounds, ValidationCriterion criterion) {

    /** By the plain validation loss. */
    public EarlyStopping(boolean enabled, int patience, int minRounds) {
        this(enabled, patience, minRounds, ValidationCriterion.LOSS);
    }

    /** This rule comparing models by {@code c}. */
    public EarlyStopping withCriterion(ValidationCriterion c) {
        return new EarlyStopping(enabled, patience, minRounds, c);
    }

    /** Every round of the budget runs. */
    public static final EarlyStopping OFF = new EarlyStopping(false, 1, 1);

    public EarlyStopping {
        if (patience < 1 || minRounds < 1) {
            throw new IllegalArgumentException("early stopping needs patience ≥ 1 and min_rounds ≥ 1, got patience "
                    + patience + ", min_rounds " + minRounds);
        }
    }
}
