package org.fedmil.coordinator.round;

import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;

/**
 * What the operator decided for this federation: who must be present, how many rounds, what every site trains.
 *
 * @param siteEvaluation whether every site evaluates the final model on its own bags before it is stopped
 * @param rules          quorum, deadline and update bounds of every round
 */
public record FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                             boolean siteEvaluation, RoundRules rules) {

    /** A plan whose rounds wait for every participant, without deadline or norm bound. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, RoundRules.waitForAll(minSites));
    }

    /** Hyper-parameters sent with every train task; each site weighs the loss by its own label counts. */
    /**
     * @param dp         the differential privacy every site must apply to its delta; null when the federation asks for none
     * @param proximalMu FedProx's μ every site adds to its local objective as μ/2‖w − w_global‖²; 0 for none
     */
    public record TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                               LossConfig loss, DpRequirement dp, double proximalMu,
                               org.fedmil.tensor.DeltaEncoding compression, double pseudoLabelThreshold) {

        /**
         * @param compression          how sites are asked to encode their deltas (training.compression)
         * @param pseudoLabelThreshold 0 (off), or the confidence a site's unlabeled bag needs to join its training
         *                             with a pseudo-label (pseudo_labels.threshold, issue 10)
         */
        public TrainingPlan {
            java.util.Objects.requireNonNull(compression, "compression");
        }

        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp, double proximalMu,
                            org.fedmil.tensor.DeltaEncoding compression) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, proximalMu, compression, 0);
        }

        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp, double proximalMu) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, proximalMu,
                    org.fedmil.tensor.DeltaEncoding.FLOAT32);
        }

        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, 0);
        }

        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed, LossConfig loss) {
            this(localEpochs, learningRate, weightDecay, seed, loss, null);
        }

        /** The DP the federation requires, if any ({@code dp} is null when none). */
        public java.util.Optional<DpRequirement> requiredDp() {
            return java.util.Optional.ofNullable(dp);
        }
    }

    /**
     * Site-level DP the federation asks for: clip each delta to L2 norm {@code clipNorm}, add Gaussian noise of
     * standard deviation {@code noiseMultiplier × clipNorm}. Updates that do not state at least this are refused.
     */
    public record DpRequirement(double clipNorm, double noiseMultiplier) {
        public DpRequirement {
            if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
                throw new IllegalArgumentException("dp clip_norm must be a positive number, got " + clipNorm);
            }
            if (!(noiseMultiplier > 0) || !Double.isFinite(noiseMultiplier)) {
                throw new IllegalArgumentException("dp noise_multiplier must be a positive number, got "
                        + noiseMultiplier);
            }
        }
    }
}
