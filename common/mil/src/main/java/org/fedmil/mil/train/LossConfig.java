package org.fedmil.mil.train;

import org.fedmil.config.ConfigName;
import org.fedmil.mil.data.LabelCounts;

/**
 * The bag loss a federation trains with, as configured and sent in every train task. Each site turns it into a
 * {@link BagLoss} with class weights from its own label counts, since only the site knows them.
 *
 * @param kind           cross-entropy, focal loss or generalized cross-entropy
 * @param focalGamma     focal loss exponent γ ≥ 0 (γ = 0 is cross-entropy); used by the focal loss only
 * @param classWeighting how a site weighs its classes
 * @param gceQ           generalized cross-entropy's q in (0, 1]; used by GCE only
 * @param labelSmoothing ε in [0, 0.5]: train toward 1 − ε/2 for a bag's label and ε/2 for the other; 0 for none
 */
public record LossConfig(Kind kind, double focalGamma, ClassWeighting classWeighting, double gceQ,
                         double labelSmoothing) {

    /** GCE's q when none is configured: the value Zhang and Sabuncu (2018) recommend. */
    public static final double DEFAULT_GCE_Q = 0.7;

    /**
     * Cross-entropy, each class weighed by the federation's label counts: the default. A party training alone
     * (train-local, a centralised baseline) has only its own counts, so it is balanced by those.
     */
    public static final LossConfig DEFAULT = new LossConfig(Kind.CROSS_ENTROPY, 2.0, ClassWeighting.FEDERATION);

    /** Without label smoothing, GCE's q at its default. */
    public LossConfig(Kind kind, double focalGamma, ClassWeighting classWeighting) {
        this(kind, focalGamma, classWeighting, DEFAULT_GCE_Q, 0);
    }

    public LossConfig {
        if (kind == null || classWeighting == null) {
            throw new IllegalArgumentException("loss kind and class weighting are required");
        }
        if (!(focalGamma >= 0) || focalGamma > 10) {
            throw new IllegalArgumentException("focal_gamma must be in 0..10, got " + focalGamma);
        }
        if (!(gceQ > 0 && gceQ <= 1)) {
            throw new IllegalArgumentException("gce_q must be in (0, 1] (0.7 is the usual choice; → 0 is "
                    + "cross-entropy, 1 the mean absolute error), got " + gceQ);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 0.5)) {
            throw new IllegalArgumentException("label_smoothing must be in 0..0.5 (0 for none; 0.1 is usual), got "
                    + labelSmoothing);
        }
    }

    public LossConfig withLabelSmoothing(double epsilon) {
        return new LossConfig(kind, focalGamma, classWeighting, gceQ, epsilon);
    }

    public LossConfig withKind(Kind newKind, double q) {
        return new LossConfig(newKind, focalGamma, classWeighting, q, labelSmoothing);
    }

    public enum Kind implements ConfigName {
        /** Binary cross-entropy on the bag logit. */
        CROSS_ENTROPY("cross_entropy"),
        /** Focal loss, Lin et al. 2017: cross-entropy scaled by (1 − p_t)^γ, so easy bags count less. */
        FOCAL("focal"),
        /**
         * Generalized cross-entropy, Zhang and Sabuncu 2018: (1 − p_t^q)/q, bounded, so bags with a wrong label
         * pull less.
         */
        GCE("gce");

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
        /**
         * As {@link #BALANCED}, but from the label counts of the whole federation's training bags (the coordinator
         * sums what the round's sites declared), so every site weighs a class the same. Then FedAvg's bag-weighted
         * sum of the site losses is the class-balanced loss of the pooled bags, the objective centralised training
         * minimises; with per-site weights a site holding one positive among 28 bags would weigh it 14×.
         */
        FEDERATION("federation"),
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

    /** This loss with the class weights of a party training alone on bags with {@code counts}. */
    public BagLoss forSite(LabelCounts counts) {
        return forSite(counts, counts);
    }

    /**
     * This loss at a site holding {@code site}'s training bags in a federation whose training bags hold
     * {@code federation} (the site's own counts where no federation total is known).
     */
    public BagLoss forSite(LabelCounts site, LabelCounts federation) {
        LabelCounts counts = switch (classWeighting) {
            case BALANCED -> site;
            case FEDERATION -> federation.negatives() > 0 && federation.positives() > 0 ? federation : site;
            case NONE -> null;
        };
        double negative = 1;
        double positive = 1;
        // one class only: there is nothing to balance, and its bags keep weight 1
        if (counts != null && counts.negatives() > 0 && counts.positives() > 0) {
            long n = counts.negatives() + counts.positives();
            negative = n / (2.0 * counts.negatives());
            positive = n / (2.0 * counts.positives());
        }
        return new BagLoss(kind == Kind.FOCAL ? focalGamma : 0, negative, positive, labelSmoothing,
                kind == Kind.GCE ? gceQ : 0);
    }
}
