package org.fedmil.mil.active;

import java.util.Arrays;

/**
 * How uncertain the model is about a bag, the score by which {@link UncertaintyRanking} orders unlabeled bags
 * for labelling.
 */
public enum Uncertainty {

    /** Binary entropy of the bag probability, in bits: 1 at p = 0.5, 0 at p = 0 or 1. */
    ENTROPY("entropy"),
    /**
     * Attention-weighted disagreement of the instances with the bag: Σ aᵢ (qᵢ − q̄)², aᵢ the instance weights
     * (summing to 1), qᵢ each instance's probability on its own and q̄ = Σ aᵢ qᵢ. High when the instances the
     * model looks at most point different ways: the bag is ambiguous where it matters.
     */
    INSTANCE_DISAGREEMENT("instance_disagreement"),
    /**
     * For tile bags with test-time augmentation: the variance of the bag probability across the flipped and
     * rotated views. High when the prediction depends on the orientation the model happens to see.
     */
    VIEW_DISAGREEMENT("view_disagreement"),
    /**
     * Entropy, but the ranking takes the most uncertain bags alternately from each predicted class (p ≥ 0.5 and
     * p < 0.5), starting with the class of the most uncertain bag; once one class runs out the other continues in
     * entropy order. Plain uncertainty sampling from a weak early model tends to pick bags of one predicted class
     * (its uncertain bags cluster on one side of 0.5), so a site labels one class only; alternating is the usual
     * fix for that cold-start imbalance. A bag's score is its entropy; only the order differs.
     */
    BALANCED_ENTROPY("balanced_entropy");

    private final String configName;

    Uncertainty(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static Uncertainty fromConfigName(String name) {
        return Arrays.stream(values()).filter(u -> u.configName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown uncertainty '" + name + "'; expected one of "
                        + Arrays.stream(values()).map(Uncertainty::configName).toList()));
    }

    /** Binary entropy in bits; 0 at the ends (0·log 0 taken as 0). */
    public static double entropy(double p) {
        if (p <= 0 || p >= 1) {
            return 0;
        }
        return -(p * Math.log(p) + (1 - p) * Math.log(1 - p)) / Math.log(2);
    }

    /** Σ wᵢ (xᵢ − x̄)² with x̄ = Σ wᵢ xᵢ; the weights should sum to 1. */
    public static double weightedVariance(float[] x, float[] w) {
        if (x.length != w.length || x.length == 0) {
            throw new IllegalArgumentException("need as many weights as values, at least one: " + x.length + " values, "
                    + w.length + " weights");
        }
        double mean = 0;
        for (int i = 0; i < x.length; i++) {
            mean += w[i] * x[i];
        }
        double var = 0;
        for (int i = 0; i < x.length; i++) {
            var += w[i] * (x[i] - mean) * (x[i] - mean);
        }
        return var;
    }
}
