package org.fedmil.coordinator.round;

import java.util.Optional;
import java.util.OptionalDouble;
import org.fedmil.mil.eval.ValidationCriterion;
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
 * @param negatives    validation bags labelled 0 (0 with {@code positives} in records written before they were kept)
 * @param positives    validation bags labelled 1
 * @param negativeLoss bag-weighted mean loss over the negative validation bags; null when a reporting site did
 *                     not give its per-class losses or there are none
 * @param positiveLoss the same over the positive bags
 */
public record FederatedValidation(int modelRound, long modelVersion, int sites, long bags, double loss, Double auc,
                                  int aucSites, long negatives, long positives, Double negativeLoss,
                                  Double positiveLoss) {

    /** Without label counts or per-class losses (as in records of older runs). */
    public FederatedValidation(int modelRound, long modelVersion, int sites, long bags, double loss, Double auc,
                               int aucSites) {
        this(modelRound, modelVersion, sites, bags, loss, auc, aucSites, 0, 0, null, null);
    }

    /** Whether the label counts are known (runs before they were kept have none). */
    public boolean hasCounts() {
        return negatives + positives > 0;
    }

    /** As one party's validation result, for comparing models by a {@link ValidationCriterion}. */
    public ValidationMetrics metrics() {
        return new ValidationMetrics(hasCounts() ? negatives : bags, hasCounts() ? positives : 0, loss,
                auc == null ? OptionalDouble.empty() : OptionalDouble.of(auc),
                negativeLoss == null ? Double.NaN : negativeLoss, positiveLoss == null ? Double.NaN : positiveLoss);
    }

    /** Folds the sites' reports of one round, as they arrive; event thread only. */
    public static final class Sum {
        private int sites;
        private long bags;
        private double lossSum;
        private int aucSites;
        private long aucBags;
        private double aucSum;
        private final long[] classBags = new long[2];
        private final double[] classLossSum = new double[2];
        private boolean perClass = true;

        public void add(Optional<ValidationMetrics> report) {
            report.ifPresent(v -> {
                sites++;
                bags += v.bags();
                lossSum += v.loss() * v.bags();
                classBags[0] += v.negatives();
                classBags[1] += v.positives();
                perClass &= (v.negatives() == 0 || !Double.isNaN(v.negativeLoss()))
                        && (v.positives() == 0 || !Double.isNaN(v.positiveLoss()));
                classLossSum[0] += v.negatives() == 0 || Double.isNaN(v.negativeLoss()) ? 0
                        : v.negativeLoss() * v.negatives();
                classLossSum[1] += v.positives() == 0 || Double.isNaN(v.positiveLoss()) ? 0
                        : v.positiveLoss() * v.positives();
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
                    aucSites == 0 ? null : aucSum / aucBags, aucSites, classBags[0], classBags[1],
                    perClass && classBags[0] > 0 ? classLossSum[0] / classBags[0] : null,
                    perClass && classBags[1] > 0 ? classLossSum[1] / classBags[1] : null));
        }
    }
}
