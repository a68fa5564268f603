package org.fedmil.coordinator.round;

/**
 * When the federation stops before its rounds budget: once the federated validation loss has not improved on its
 * best for {@code patience} validated models, and not before round {@code minRounds}. The held-out set plays no
 * part. Without any site validation nothing stops early.
 *
 * @param enabled   false: every round of the budget runs
 * @param patience  validated models after the best one without a lower loss before the run stops (≥ 1)
 * @param minRounds no early stop before this round has completed (≥ 1)
 */
public record EarlyStopping(boolean enabled, int patience, int minRounds) {

    /** Every round of the budget runs. */
    public static final EarlyStopping OFF = new EarlyStopping(false, 1, 1);

    public EarlyStopping {
        if (patience < 1 || minRounds < 1) {
            throw new IllegalArgumentException("early stopping needs patience ≥ 1 and min_rounds ≥ 1, got patience "
                    + patience + ", min_rounds " + minRounds);
        }
    }
}
