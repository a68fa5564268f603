package org.fedmil.coordinator.config;

/**
 * early_stopping: the federation stops once the sites' federated validation loss has not improved for
 * {@code patience} validated models, not before round {@code min_rounds}; the held-out set plays no part.
 * Without site validation nothing stops early.
 *
 * @param enabled   on by default
 * @param patience  validated models without a lower loss before stopping; default 10
 * @param minRounds no early stop before this round; default 10
 */
public record EarlyStoppingSection(Boolean enabled, Integer patience, Integer minRounds) {
    public EarlyStoppingSection {
        enabled = enabled == null || enabled;
        patience = patience == null ? 10 : patience;
        minRounds = minRounds == null ? 10 : minRounds;
    }

    public org.fedmil.coordinator.round.EarlyStopping rule() {
        return new org.fedmil.coordinator.round.EarlyStopping(enabled, patience, minRounds);
    }
}
