package org.fedmil.mil.train;

import org.fedmil.config.ConfigName;
import org.fedmil.mil.data.LabelCounts;

/**
 * The bag loss a federation trains with, as configured and sent in every train task. Each site turns it into a
 * {@link BagLoss} with class weights from its own label counts, since only the site knows them.
 *
 * @param kind           cross-entropy or focal loss
 * @param focalGamma     focal loss exponent γ ≥ 0 (γ = 0 is cross-entropy); ignored by cross-entropy
 * @param classWeighting how a site weighs its classes
 */
public record LossConfig(Kind kind, double focalGamma, ClassWeighting classWeighting) {

    /** Cross-entropy, balanced by each site's label counts: the default. */
    public static final LossConfig DEFAULT = new LossConfig(Kind.CROSS_ENTROPY, 2.0, ClassWeighting.BALANCED);

    public LossConfig {
        if (kind == null || classWeighting == null) {
            throw new IllegalArgumentException("loss kind and class weighting are required");
        }
        if (!(focalGamma >= 0) || focalGamma > 10) {
            throw new IllegalArgumentException("focal_gamma must be in 0..10, got " + focalGamma);
        }
    }

    public enum Kind implements ConfigName {
        /** Binary cross-entropy on the bag logit. */
        CROSS_ENTROPY("cross_entropy"),
        /** Focal loss, Lin et al. 2017: cross-entropy scaled by (1 − p_t)^γ, so easy bags count less. */
        FOCAL("focal");

        private final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        @Override
        public String configName() {
            return configName;
        }

        public static Kind fromConfigName(String name) {
            return ConfigName.parse(Kind.class, name, CROSS_ENTROPY, "loss");
        }
    }

    public enum ClassWeighting implements ConfigName {
        /** Each class weighs bags / (2 × bags of the class): both classes contribute equally in total. */
        BALANCED("balanced"),
        /** Every bag weighs 1. */
        NONE("none");

        private final String configName;

        ClassWeighting(String configName) {
            this.configName = configName;
        }

        @Override
        public String configName() {
            return configName;
        }

        public static ClassWeighting fromConfigName(String name) {
            return ConfigName.parse(ClassWeighting.class, name, BALANCED, "class weighting");
        }
    }

    /** This loss with the class weights of a site holding {@code counts}. */
    public BagLoss forSite(LabelCounts counts) {
        double negative = 1;
        double positive = 1;
        long n = counts.negatives() + counts.positives();
        // a site with one class only has nothing to balance; its bags keep weight 1
        if (classWeighting == ClassWeighting.BALANCED && counts.negatives() > 0 && counts.positives() > 0) {
            negative = n / (2.0 * counts.negatives());
            positive = n / (2.0 * counts.positives());
        }
        return new BagLoss(kind == Kind.FOCAL ? focalGamma : 0, negative, positive);
    }
}
