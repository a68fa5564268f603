package org.fedmil.mil.eval;

import java.util.OptionalDouble;
import org.fedmil.config.ConfigName;

/**
 * What makes one validated model better than another, for choosing the model to keep and for counting the rounds
 * (or epochs) without improvement before stopping.
 *
 * <p>The validation loss alone can pick a model that ranks bags worse: binary cross-entropy rises as soon as a
 * model grows confident on a few validation bags it gets wrong, while its ranking of all the others still
 * improves. On MNIST-bags (200 training bags over 4 sites, seed 1) the federated validation loss was lowest at round
 * 22 of 47 and that model scored held-out AUC 0.861; the same federation trained 50 rounds without validation
 * scored 0.912. Ranking is what the held-out AUC measures and what a clinical threshold is later chosen on.
 */
public enum ValidationCriterion implements ConfigName {
    /** The lower validation loss (binary cross-entropy) is better. */
    LOSS("loss"),
    /**
     * The lower class-balanced validation loss ({@link ValidationMetrics#balancedLoss()}) is better: the loss that
     * class-balanced training minimises, measured on the validation bags.
     */
    BALANCED_LOSS("balanced_loss"),
    /**
     * The higher validation AUC is better; an equal AUC (which small validation sets give often, e.g. 1.0) is
     * decided by the lower loss. A model with an AUC beats one without (validation bags of one class only).
     */
    AUC("auc");

    /** AUCs closer than this are equal: they come from the same few bag pairs. */
    private static final double AUC_TIE = 1e-9;

    private final String configName;

    ValidationCriterion(String configName) {
        this.configName = configName;
    }

    @Override
    public String configName() {
        return configName;
    }

    /**
     * The criterion that measures what training with {@code weighting} minimises: the class-balanced loss under
     * balanced (or federation-balanced) class weights, the plain loss without weights.
     */
    public static ValidationCriterion matching(org.fedmil.mil.train.LossConfig.ClassWeighting weighting) {
        return weighting == org.fedmil.mil.train.LossConfig.ClassWeighting.NONE ? LOSS : BALANCED_LOSS;
    }

    public static ValidationCriterion fromConfigName(String name) {
        return ConfigName.parse(ValidationCriterion.class, name, LOSS, "validation criterion");
    }

    /**
     * How far below the best constant predictor's validation loss a model must be to count as having learned
     * something: 5 %. A near-constant model sits at that loss give or take noise.
     */
    public static final double LEARNED_MARGIN = 0.05;

    /**
     * The loss this criterion compares, of {@code v}: the class-balanced loss for {@link #BALANCED_LOSS}, the
     * plain loss otherwise.
     */
    public double lossOf(ValidationMetrics v) {
        return this == BALANCED_LOSS ? v.balancedLoss() : v.loss();
    }

    /**
     * The validation loss of the best model that gives every bag the same probability: ln 2 for the balanced loss
     * (with both classes present), the entropy of the validation bags' label prior for the plain loss.
     */
    public double constantPredictorLoss(ValidationMetrics v) {
        if (v.negatives() == 0 || v.positives() == 0) {
            return 0;
        }
        if (this == BALANCED_LOSS && !Double.isNaN(v.negativeLoss()) && !Double.isNaN(v.positiveLoss())) {
            return Math.log(2);
        }
        double p = (double) v.positives() / v.bags();
        return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    }

    /**
     * Whether a model validated at {@code v} has learned something: its loss is at least {@link #LEARNED_MARGIN}
     * below the constant predictor's. Until a model has, early stopping does not count rounds without improvement:
     * a slow start (small non-IID sites can need 20 rounds before the model ranks anything) is not a plateau.
     * Validation bags of one class cannot tell (a constant guess of that class is perfect): then it counts as
     * learned, and patience alone decides, as before this rule.
     */
    public boolean learned(ValidationMetrics v) {
        if (v.negatives() == 0 || v.positives() == 0) {
            return true;
        }
        return lossOf(v) < (1 - LEARNED_MARGIN) * constantPredictorLoss(v);
    }

    /** Whether {@code candidate} beats {@code best} (null when there is none yet). */
    public boolean better(ValidationMetrics candidate, ValidationMetrics best) {
        if (best == null) {
            return true;
        }
        return switch (this) {
            case LOSS -> candidate.loss() < best.loss();
            case BALANCED_LOSS -> candidate.balancedLoss() < best.balancedLoss();
            case AUC -> betterAuc(candidate, best);
        };
    }

    private static boolean betterAuc(ValidationMetrics candidate, ValidationMetrics best) {
        OptionalDouble auc = candidate.auc();
        OptionalDouble bestAuc = best.auc();
        if (auc.isEmpty() && bestAuc.isEmpty()) {
            return candidate.loss() < best.loss();
        }
        if (auc.isPresent() != bestAuc.isPresent()) {
            return auc.isPresent();
        }
        double d = auc.getAsDouble() - bestAuc.getAsDouble();
        return d > AUC_TIE || (d >= -AUC_TIE && candidate.loss() < best.loss());
    }
}
