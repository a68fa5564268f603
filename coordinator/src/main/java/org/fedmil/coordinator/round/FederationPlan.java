package org.fedmil.coordinator.round;

import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;

/**
 * What the operator decided for this federation: who must be present, how many rounds, what every site trains.
 *
 * @param rounds            every round, pretraining rounds included: the last round's number
 * @param siteEvaluation    whether every site evaluates the final model on its own bags before it is stopped
 * @param rules             quorum, deadline and update bounds of every round
 * @param pretraining       the self-supervised rounds 1..pretraining.rounds() that come first; null for none
 * @param secureAggregation whether rounds are securely aggregated (docs/secure-aggregation.md)
 * @param earlyStopping     when to stop before {@code rounds} on the federated validation loss; {@code rounds} is
 *                          then a maximum
 */
public record FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                             boolean siteEvaluation, RoundRules rules, PretrainingPlan pretraining,
                             boolean secureAggregation, EarlyStopping earlyStopping, String featureEncoderSha256,
                             FineTunedBlock fineTunedBlock, SecAggGraphPolicy secAggGraph) {

    /** Without a fine-tuned encoder block; full SecAgg up to 20 sites, SecAgg+ above ({@link SecAggGraphPolicy#DEFAULT}). */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules, PretrainingPlan pretraining,
                          boolean secureAggregation, EarlyStopping earlyStopping, String featureEncoderSha256) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining, secureAggregation,
                earlyStopping, featureEncoderSha256, null, null);
    }

    /**
     * This plan training {@code block} of a pretrained encoder with the head ({@link #model()}); null for none. Sites
     * must then hold that encoder: its SHA-256 is pinned as the feature encoder's is.
     */
    public FederationPlan withFineTunedBlock(FineTunedBlock block) {
        return new FederationPlan(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining,
                secureAggregation, earlyStopping, block == null ? featureEncoderSha256 : block.encoderSha256(), block,
                secAggGraph);
    }

    /** The encoder block that trains with the head; empty when the model is its spec alone. */
    public java.util.Optional<FineTunedBlock> encoderBlock() {
        return java.util.Optional.ofNullable(fineTunedBlock);
    }

    /** The spec site and held-out folders are read with: tiles for a fine-tuned encoder, else the model's own. */
    public ModelSpec dataSpec() {
        return fineTunedBlock == null ? model : fineTunedBlock.readingSpec(model);
    }

    /** This plan choosing between full SecAgg and SecAgg+ by {@code policy}. */
    public FederationPlan withSecAggGraph(SecAggGraphPolicy policy) {
        return new FederationPlan(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining,
                secureAggregation, earlyStopping, featureEncoderSha256, fineTunedBlock, policy);
    }

    /** Without a pinned pretrained encoder. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules, PretrainingPlan pretraining,
                          boolean secureAggregation, EarlyStopping earlyStopping) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining, secureAggregation,
                earlyStopping, "");
    }

    /** This plan admitting only sites whose features the encoder of this SHA-256 computed ("" pins none). */
    public FederationPlan withFeatureEncoder(String sha256) {
        return new FederationPlan(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining,
                secureAggregation, earlyStopping, sha256, fineTunedBlock, secAggGraph);
    }

    /** Every round of the budget runs. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules, PretrainingPlan pretraining,
                          boolean secureAggregation) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining, secureAggregation,
                EarlyStopping.OFF);
    }

    /** This plan with {@code rule} deciding when to stop early. */
    public FederationPlan withEarlyStopping(EarlyStopping rule) {
        return new FederationPlan(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining,
                secureAggregation, rule, featureEncoderSha256, fineTunedBlock, secAggGraph);
    }

    public FederationPlan {
        earlyStopping = earlyStopping == null ? EarlyStopping.OFF : earlyStopping;
        featureEncoderSha256 = featureEncoderSha256 == null ? "" : featureEncoderSha256;
        secAggGraph = secAggGraph == null ? SecAggGraphPolicy.DEFAULT : secAggGraph;
        if (pretraining != null) {
            if (pretraining.rounds() >= rounds) {
                throw new IllegalArgumentException(pretraining.rounds() + " pretraining rounds leave none of the "
                        + rounds + " rounds for supervised training; rounds counts both");
            }
            if (!model.readsTiles()) {
                throw new IllegalArgumentException("pretraining needs the cnn encoder over image tiles; " + model
                        + " reads feature vectors");
            }
            if (secureAggregation) {
                // pretraining rounds aggregate encoder-only deltas in the clear; masking them is not built yet
                throw new IllegalArgumentException("pretraining rounds are not securely aggregated yet: turn off "
                        + "either pretraining or secure_aggregation");
            }
        }
    }

    /** Without pretraining or secure aggregation. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, null, false);
    }

    /** With pretraining, without secure aggregation. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules, PretrainingPlan pretraining) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, pretraining, false);
    }

    /** Without pretraining, securely aggregated or not. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation, RoundRules rules, boolean secureAggregation) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, rules, null, secureAggregation);
    }

    /** Whether round {@code r} is a self-supervised pretraining round. */
    public boolean isPretrainingRound(int r) {
        return pretraining != null && r >= 1 && r <= pretraining.rounds();
    }

    /** The pretraining rounds, 0 for none. */
    public int pretrainingRounds() {
        return pretraining == null ? 0 : pretraining.rounds();
    }

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
                               org.fedmil.tensor.DeltaEncoding compression, OptimizerConfig optimizer,
                               int bagsPerStep, LearningRateSchedule schedule, double pseudoLabelThreshold) {

        /**
         * @param compression          how sites are asked to encode their deltas (training.compression)
         * @param optimizer            the optimiser every site trains with
         * @param bagsPerStep          bags averaged into one optimiser step at a site
         * @param schedule             the learning rate over rounds
         * @param pseudoLabelThreshold 0 (off), or the confidence a site's unlabeled bag needs to join its training
         *                             with a pseudo-label (pseudo_labels.threshold)
         */
        public TrainingPlan {
            java.util.Objects.requireNonNull(compression, "compression");
            java.util.Objects.requireNonNull(optimizer, "optimizer");
            java.util.Objects.requireNonNull(schedule, "schedule");
        }

        /** Without pseudo-labels. */
        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp, double proximalMu,
                            org.fedmil.tensor.DeltaEncoding compression, OptimizerConfig optimizer,
                            int bagsPerStep, LearningRateSchedule schedule) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, proximalMu, compression, optimizer,
                    bagsPerStep, schedule, 0);
        }

        /** Adam, one bag per step, the learning rate constant. */
        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp, double proximalMu,
                            org.fedmil.tensor.DeltaEncoding compression) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, proximalMu, compression, 0);
        }

        /**
         * The learning rate sites start round {@code round} from: the configured one, or under reduce-on-plateau
         * the one the federated validation losses reported so far (oldest first) call for. Derived from the
         * history each time rather than kept, so a restarted coordinator, which reads the history back from
         * metrics.json, sends the same rate as before the restart.
         */
        public double roundLearningRate(java.util.List<Double> validationLosses) {
            return schedule.kind() == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU
                    ? schedule.plateauRate(learningRate, validationLosses) : learningRate;
        }

        /** Adam, one bag per step, the learning rate constant, with pseudo-labels at {@code pseudoLabelThreshold}. */
        public TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                            LossConfig loss, DpRequirement dp, double proximalMu,
                            org.fedmil.tensor.DeltaEncoding compression, double pseudoLabelThreshold) {
            this(localEpochs, learningRate, weightDecay, seed, loss, dp, proximalMu, compression,
                    OptimizerConfig.ADAM, 1, LearningRateSchedule.CONSTANT, pseudoLabelThreshold);
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
     * DP the federation asks for: clip each delta to L2 norm {@code clipNorm}, add Gaussian noise of standard
     * deviation {@code noiseMultiplier × clipNorm}; or, at a sampling rate, DP-SGD per bag. Updates that do not
     * state at least this are refused.
     *
     * @param distributed  noise added once to the secure sum, each site its share (docs/privacy.md)
     * @param samplingRate 0 for site-level DP (noise on each site's delta); q in (0, 1] for patient-level DP-SGD at
     *                     the sites (each bag's chance of being in a step's lot)
     */
    /**
     * @param minNoisedSites DP-FedSGD's K_min (the fewest sites whose noise shares a released sum holds); 0 for the
     *                       other modes
     * @param delta          DP-FedSGD's δ, at which the round log states each round's ε; 0 for the other modes
     */
    public record DpRequirement(double clipNorm, double noiseMultiplier, boolean distributed, double samplingRate,
                                int minNoisedSites, double delta) {

        /** Site-level DP (distributed or not) or patient-level DP-SGD at rate q. */
        public DpRequirement(double clipNorm, double noiseMultiplier, boolean distributed, double samplingRate) {
            this(clipNorm, noiseMultiplier, distributed, samplingRate, 0, 0);
        }

        /** DP-FedSGD under secure aggregation ({@link org.fedmil.mil.train.DpFedSgd}). */
        public static DpRequirement fedSgd(double clipNorm, double noiseMultiplier, double samplingRate,
                                           int minNoisedSites, double delta) {
            if (minNoisedSites < 1) {
                throw new IllegalArgumentException("DP-FedSGD needs K_min ≥ 1, got " + minNoisedSites);
            }
            return new DpRequirement(clipNorm, noiseMultiplier, false, samplingRate, minNoisedSites, delta);
        }

        /** Whether the federation runs DP-FedSGD: one noised gradient step per round, summed under secure aggregation. */
        public boolean fedSgd() {
            return minNoisedSites > 0;
        }

        /** The library's form of DP-FedSGD's settings; only when {@link #fedSgd}. */
        public org.fedmil.mil.train.DpFedSgd dpFedSgd() {
            return new org.fedmil.mil.train.DpFedSgd(clipNorm, noiseMultiplier, samplingRate, minNoisedSites);
        }

        /** Site-level DP: every site noises its own delta in full. */
        public DpRequirement(double clipNorm, double noiseMultiplier) {
            this(clipNorm, noiseMultiplier, false, 0);
        }

        /** Site-level DP, or its distributed form under secure aggregation. */
        public DpRequirement(double clipNorm, double noiseMultiplier, boolean distributed) {
            this(clipNorm, noiseMultiplier, distributed, 0);
        }

        /** Site-level DP (q = 0) or patient-level DP-SGD at rate q. */
        public DpRequirement(double clipNorm, double noiseMultiplier, double samplingRate) {
            this(clipNorm, noiseMultiplier, false, samplingRate);
        }

        /** Patient-level DP-SGD inside local training (not DP-FedSGD, which samples at rate q too). */
        public boolean perBag() {
            return samplingRate > 0 && !fedSgd();
        }

        public DpRequirement {
            if (distributed && samplingRate > 0) {
                throw new IllegalArgumentException("dp distributed noise is for site-level DP under secure "
                        + "aggregation; patient-level DP-SGD (sampling_rate " + samplingRate + ") adds its noise in "
                        + "training: choose one");
            }
            if (!(samplingRate >= 0 && samplingRate <= 1)) {
                throw new IllegalArgumentException("dp sampling_rate must be in (0, 1] (or 0 for site-level DP), got "
                        + samplingRate);
            }
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
