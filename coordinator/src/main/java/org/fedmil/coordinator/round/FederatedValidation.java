package org.fedmil.coordinator.round;

import java.util.Optional;
import org.fedmil.mil.eval.ValidationMetrics;

/**
 * The federation's validation of one global model: the sites' validation aggregates of the model they received,
 * weighted by their validation bags. Which model it is matters, because a round's uploads validate the model the
 * round started from: round r's entry is of model version v(r−1).
 *
 * @param modelRound   the round that made the validated model (0: the initial model)
 * @param modelVersion its version
 * @param sites        sites that reported a validation
 * @param bags         their validation bags
 * @param loss         bag-weighted mean of the sites' validation losses
 * @param auc          bag-weighted mean of the site AUCs of the sites that have one; null when none has
 * @param aucSites     sites whose AUC is in {@code auc}
 */
public record FederatedValidation(int modelRound, long modelVersion, int sites, long bags, double loss, Double auc,
                                  int aucSites) {

    /** Folds the sites' reports of one round, as they arrive; event thread only. */
    public static final class Sum {
        private int sites;
        private long bags;
        private double lossSum;
        private int aucSites;
        private long aucBags;
        private double aucSum;

        public void add(Optional<ValidationMetrics> report) {
            report.ifPresent(v -> {
                sites++;
                bags += v.bags();
                lossSum += v.loss() * v.bags();
                v.auc().ifPresent(a -> {
                    aucSites++;
                    aucBags += v.bags();
                    aucSum += a * v.bags();
                });
            });
        }

        /** The federation's validation of the model of {@code modelRound}; empty when no site reported one. */
        public Optional<FederatedValidation> of(int modelRound, long modelVersion) {
            if (sites == 0) {
                return Optional.empty();
            }
            return Optional.of(new FederatedValidation(modelRound, modelVersion, sites, bags, lossSum / bags,
                    aucSites == 0 ? null : aucSum / aucBags, aucSites));
        }
    }
}
