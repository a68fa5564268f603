package org.fedmil.coordinator.config;

import java.nio.file.Path;
import java.util.Objects;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.aggregate.Capability;
import org.fedmil.coordinator.aggregate.ClippedStrategy;
import org.fedmil.coordinator.aggregate.Strategies;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.round.PretrainingPlan;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;

/**
 * The operator's coordinator.yaml. Every key is documented in docs/configuration.md; missing keys take the
 * defaults given there.
 *
 * @param federationId a name for this federation, shown to sites and written to the state folder
 * @param listen       where the gRPC server listens
 * @param tls          the coordinator's certificate, key and the consortium CA
 * @param stateDir     where global models and metrics are written after every round
 * @param heldoutDir   the held-out evaluation set, in the site data format
 * @param minSites     sites that must have joined before round 1 starts
 * @param rounds       number of training rounds
 * @param model        the architecture every site builds
 * @param training     the hyper-parameters sent with every train task
 * @param device       where the coordinator evaluates: auto (DJL's default), cpu, or gpu / gpu(N)
 * @param roundDeadlineSeconds how long a round stays open; 0 waits for every participant
 * @param minUpdates   updates a round needs to be aggregated (at most min_sites)
 * @param onShortRound retry or skip a round that reached its deadline with fewer than min_updates
 * @param limits       bounds on what sites may send and how
 * @param dashboard    the read-only web page and /metrics (off unless enabled)
 * @param strategy     how updates are aggregated (fedavg by default); see {@link StrategySettings}
 * @param pretraining  self-supervised pretraining rounds of the encoder before the supervised ones (none by default)
 * @param secureAggregation whether the coordinator learns only the sum of each round's deltas, never one site's
 *                     (docs/secure-aggregation.md); off by default
 * @param evaluation   extra held-out scores beside the single model's: TTA and ensembles (off unless asked)
 * @param pseudoLabels whether sites pseudo-label their unlabeled bags, and how confidently (off unless asked)
 * @param earlyStopping when to stop before {@code rounds} on the sites' federated validation loss (on by default;
 *                     {@code rounds} is then a maximum)
 */
public record CoordinatorConfig(
        String federationId,
        Listen listen,
        TlsFiles tls,
        Path stateDir,
        Path heldoutDir,
        Integer minSites,
        Integer rounds,
        Model model,
        Training training,
        String device,
        Integer roundDeadlineSeconds,
        Integer minUpdates,
        String onShortRound,
        Limits limits,
        Dashboard dashboard,
        StrategySettings strategy,
        Pretraining pretraining,
        Boolean secureAggregation,
        Evaluation evaluation,
        PseudoLabels pseudoLabels,
        EarlyStoppingSection earlyStopping,
        SecureAggregationGraphSection secureAggregationGraph) {

    /** With the default secure_aggregation_graph section. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard, StrategySettings strategy, Pretraining pretraining,
                             Boolean secureAggregation, Evaluation evaluation, PseudoLabels pseudoLabels,
                             EarlyStoppingSection earlyStopping) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, earlyStopping, null);
    }

    /** With the default early stopping. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard, StrategySettings strategy, Pretraining pretraining,
                             Boolean secureAggregation, Evaluation evaluation, PseudoLabels pseudoLabels) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, null);
    }

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

    /** A copy with another early_stopping section. */
    public CoordinatorConfig withEarlyStopping(EarlyStoppingSection e) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, e);
    }

    /** Without pretraining, secure aggregation, evaluation extras and pseudo-labels (the defaults). */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard, StrategySettings strategy) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, null, null, null, null);
    }

    /** The default strategy, FedAvg. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, null);
    }

    /** Defaults for round_deadline_seconds, min_updates, on_short_round and limits. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device, null, null,
                null, null);
    }

    /** Without a dashboard section: the dashboard is off. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, null, null);
    }

    public CoordinatorConfig {
        federationId = federationId == null ? "fedmil" : federationId;
        listen = listen == null ? new Listen(null, null) : listen;
        stateDir = stateDir == null ? Path.of("coordinator-state") : stateDir;
        minSites = minSites == null ? 2 : minSites;
        rounds = rounds == null ? 50 : rounds;
        model = model == null ? new Model(null, null, null, null, null, null) : model;
        training = training == null ? new Training(null, null, null, null, null, null, null) : training;
        device = device == null ? "auto" : device;
        roundDeadlineSeconds = roundDeadlineSeconds == null ? 1800 : roundDeadlineSeconds;
        minUpdates = minUpdates == null ? minSites : minUpdates;
        onShortRound = onShortRound == null ? "retry" : onShortRound;
        limits = limits == null ? new Limits(null, null, null) : limits;
        dashboard = dashboard == null ? new Dashboard(null, null, null) : dashboard;
        strategy = strategy == null ? StrategySettings.FEDAVG : strategy;
        secureAggregation = secureAggregation != null && secureAggregation;
        pretraining = pretraining == null ? new Pretraining(null, null, null, null, null, null, null, null, null, null)
                : pretraining;
        evaluation = evaluation == null ? new Evaluation(null, null, null) : evaluation;
        pseudoLabels = pseudoLabels == null ? new PseudoLabels(null) : pseudoLabels;
        earlyStopping = earlyStopping == null ? new EarlyStoppingSection(null, null, null) : earlyStopping;
        secureAggregationGraph = secureAggregationGraph == null ? SecureAggregationGraphSection.defaults()
                : secureAggregationGraph;
    }

    /**
     * pretraining: federated self-supervised (SimCLR) pretraining of the instance encoder, in {@code rounds} rounds
     * before the supervised ones; 0 rounds (the default) for none. See {@link PretrainingPlan}.
     */
    public record Pretraining(Integer rounds, Integer epochs, Double learningRate, Double weightDecay,
                              Integer batchSize, Double temperature, Integer projectionDim, Double colourJitter,
                              Integer maxShift, Integer maxTiles) {
        public Pretraining {
            rounds = rounds == null ? 0 : rounds;
            epochs = epochs == null ? 1 : epochs;
            learningRate = learningRate == null ? 1e-3 : learningRate;
            weightDecay = weightDecay == null ? 0.0 : weightDecay;
            batchSize = batchSize == null ? 128 : batchSize;
            temperature = temperature == null ? 0.5 : temperature;
            projectionDim = projectionDim == null ? 32 : projectionDim;
            colourJitter = colourJitter == null ? 0.2 : colourJitter;
            maxShift = maxShift == null ? 2 : maxShift;
            maxTiles = maxTiles == null ? 0 : maxTiles;
        }

        /** The plan of the pretraining rounds; empty with 0 rounds. */
        public java.util.Optional<PretrainingPlan> plan() {
            return rounds == 0 ? java.util.Optional.empty() : java.util.Optional.of(new PretrainingPlan(rounds, epochs,
                    learningRate, weightDecay, batchSize, temperature, projectionDim, colourJitter, maxShift,
                    maxTiles));
        }
    }

    // --- evaluation-time TTA and ensembles, pseudo-labels ---
    /**
     * Extra held-out scores the coordinator computes after every round, beside the global model's own AUC (written
     * to heldout-extra.json in the state folder and printed under the round's line). They cost evaluation time
     * only: what is sent to sites does not change.
     *
     * @param tta            test-time augmentation of tile bags: none, flips, rotations or all (the 8 symmetries)
     * @param ensembleLastK  0 (off), or k ≥ 2: also score the mean of the last k global models' probabilities
     * @param ensembleModels final models of other federations of the same model (other seeds or folds), each a
     *                       model file (.fedmil) or another coordinator's state folder (its latest global model):
     *                       also score the mean of the global model and these
     */
    public record Evaluation(String tta, Integer ensembleLastK, java.util.List<Path> ensembleModels,
                             Boolean heldOut) {

        public Evaluation(String tta, Integer ensembleLastK, java.util.List<Path> ensembleModels) {
            this(tta, ensembleLastK, ensembleModels, null);
        }

        public Evaluation {
            heldOut = heldOut == null || heldOut;
            tta = tta == null ? "none" : tta;
            ensembleLastK = ensembleLastK == null ? 0 : ensembleLastK;
            ensembleModels = ensembleModels == null ? java.util.List.of() : java.util.List.copyOf(ensembleModels);
        }

        /** Whether any extra score is asked for. */
        public boolean any() {
            return !tta.equals("none") || ensembleLastK > 0 || !ensembleModels.isEmpty();
        }

        /** The flips and rotations tta names. */
        public boolean flips() {
            return tta.equals("flips") || tta.equals("all");
        }

        public boolean rotations() {
            return tta.equals("rotations") || tta.equals("all");
        }
    }

    /**
     * @param threshold 0 (off), or the confidence max(p, 1 − p) in (0.5, 1] the global model must have for a site's
     *                  unlabeled bag to join its local training with that pseudo-label; sent to sites as
     *                  TrainingConfig.pseudo_label_threshold
     */
    public record PseudoLabels(Double threshold) {
        public PseudoLabels {
            threshold = threshold == null ? 0.0 : threshold;
        }
    }

    // --- dashboard ---
    /**
     * The dashboard: a read-only web page, /api/state and /metrics. On a loopback host it is plain HTTP; on any other
     * address it is HTTPS with the coordinator's certificate and key.
     *
     * @param port 0 picks a free port
     */
    public record Dashboard(Boolean enabled, String host, Integer port) {
        public Dashboard {
            enabled = enabled != null && enabled;
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? 8080 : port;
        }
    }

    /** A copy with another dashboard section. */
    public CoordinatorConfig withDashboard(Dashboard d) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, d, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, earlyStopping);
    }
    // --- end dashboard ---

    /** A copy with another pretraining section. */
    public CoordinatorConfig withPretraining(Pretraining p) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, p,
                secureAggregation, evaluation, pseudoLabels, earlyStopping);
    }

    /**
     * @param maxUpdateL2Norm          an update whose delta's L2 norm (all tensors) is larger is refused
     * @param maxUpdateBytes           an upload announcing more bytes is refused before anything is buffered
     * @param maxConcurrentCallsPerSite calls one site may have open at once; more are refused
     */
    /**
     * @param handshakeTimeoutSeconds a TLS handshake not finished in this time is dropped, so a stalled client does
     *                                not hold a connection; a cold client JVM on a loaded host can take seconds
     */
    public record Limits(Double maxUpdateL2Norm, Long maxUpdateBytes, Integer maxConcurrentCallsPerSite,
                         Integer handshakeTimeoutSeconds, Double writeCallsPerSecond, Integer writeCallBurst) {
        public Limits {
            maxUpdateL2Norm = maxUpdateL2Norm == null ? 1e4 : maxUpdateL2Norm;
            maxUpdateBytes = maxUpdateBytes == null ? 1L << 30 : maxUpdateBytes;
            maxConcurrentCallsPerSite = maxConcurrentCallsPerSite == null ? 8 : maxConcurrentCallsPerSite;
            handshakeTimeoutSeconds = handshakeTimeoutSeconds == null ? 20 : handshakeTimeoutSeconds;
            // a site makes a handful of writing calls per round; these bound what a looping one adds to the log
            writeCallsPerSecond = writeCallsPerSecond == null ? 5.0 : writeCallsPerSecond;
            writeCallBurst = writeCallBurst == null ? 200 : writeCallBurst;
        }

        public Limits(Double maxUpdateL2Norm, Long maxUpdateBytes, Integer maxConcurrentCallsPerSite,
                      Integer handshakeTimeoutSeconds) {
            this(maxUpdateL2Norm, maxUpdateBytes, maxConcurrentCallsPerSite, handshakeTimeoutSeconds, null, null);
        }

        public Limits(Double maxUpdateL2Norm, Long maxUpdateBytes, Integer maxConcurrentCallsPerSite) {
            this(maxUpdateL2Norm, maxUpdateBytes, maxConcurrentCallsPerSite, null);
        }
    }

    /** The rules of every round, as the round logic takes them. */
    public RoundRules roundRules() {
        return new RoundRules(minUpdates, roundDeadlineSeconds * 1000L, RoundRules.ShortRound.fromConfigName(onShortRound),
                limits.maxUpdateL2Norm(), strategy.maxSiteShare(), strategy.maxNormToMedian());
    }

    public record Listen(String host, Integer port) {
        public Listen {
            host = host == null ? "0.0.0.0" : host;
            port = port == null ? 7443 : port;
        }
    }

    /**
     * The model every site builds. For the mlp encoder input_dim is not configured: it is read from the held-out
     * set, which every site's feature bags must match. The cnn encoder reads tile bags resized to
     * tile_size × tile_size with 1 (grey) or 3 (RGB) channels. With feature_encoder_sha256 the mlp encoder's
     * features must come from that pretrained encoder: a site whose features.json names another is not admitted.
     */
    public record Model(String architecture, String encoder, Integer hiddenDim, Integer attentionDim,
                        Integer tileSize, Integer channels, String featureEncoderSha256, Integer inputDim) {

        public Model(String architecture, String encoder, Integer hiddenDim, Integer attentionDim, Integer tileSize,
                     Integer channels) {
            this(architecture, encoder, hiddenDim, attentionDim, tileSize, channels, null, null);
        }

        public Model(String architecture, String encoder, Integer hiddenDim, Integer attentionDim, Integer tileSize,
                     Integer channels, String featureEncoderSha256) {
            this(architecture, encoder, hiddenDim, attentionDim, tileSize, channels, featureEncoderSha256, null);
        }

        public Model {
            featureEncoderSha256 = featureEncoderSha256 == null ? "" : featureEncoderSha256.strip().toLowerCase(
                    java.util.Locale.ROOT);
            architecture = architecture == null ? "attention" : architecture;
            encoder = encoder == null ? "mlp" : encoder;
            hiddenDim = hiddenDim == null ? 64 : hiddenDim;
            attentionDim = attentionDim == null ? 32 : attentionDim;
            tileSize = tileSize == null ? 0 : tileSize;
            channels = channels == null ? 0 : channels;
            inputDim = inputDim == null ? 0 : inputDim;
        }

        /**
         * The mlp encoder's spec for held-out bags of {@code featureDim} values: input_dim, when configured (0 means
         * not), must be that width, so that a model asked for by size is never silently another size.
         *
         * @throws IllegalArgumentException naming both widths and what to change
         */
        public ModelSpec specForData(int featureDim, Path heldoutDir) {
            if (encoderKind() == Encoder.MLP && inputDim != 0 && inputDim != featureDim) {
                throw new IllegalArgumentException("model.input_dim is " + inputDim + ", but the held-out set "
                        + heldoutDir + " has " + featureDim + " features per instance; every site's bags must have "
                        + "input_dim features: set model.input_dim to " + featureDim + " (or remove it), or point "
                        + "heldout_dir at bags of " + inputDim + " features");
            }
            return spec(featureDim);
        }

        public Encoder encoderKind() {
            return Encoder.fromConfigName(encoder);
        }

        /** The spec every site builds; {@code featureDim} is the held-out set's, used by the mlp encoder. */
        public ModelSpec spec(int featureDim) {
            Architecture a = Architecture.fromConfigName(architecture);
            return encoderKind() == Encoder.CNN ? ModelSpec.cnn(a, channels, tileSize, hiddenDim, attentionDim)
                    : new ModelSpec(a, featureDim, hiddenDim, attentionDim);
        }
    }

    /**
     * The section 'training': what every site is told to train with.
     *
     * @param loss           cross_entropy, focal or gce
     * @param focalGamma     the focal loss's γ
     * @param classWeights   balanced (each site weighs classes by its own label counts) or none
     * @param dp             site-level differential privacy every site must apply (clip_norm, noise_multiplier); none
     *                       if absent
     * @param optimizer      adam (default), adamw or sgd
     * @param momentum       sgd's momentum
     * @param nesterov       sgd: Nesterov momentum
     * @param bagsPerStep    bags averaged into one optimiser step (gradient accumulation)
     * @param labelSmoothing ε of label smoothing, 0 for none
     * @param gceQ           q of the gce loss
     * @param schedule       the learning-rate schedule over rounds
     */
    public record Training(Integer localEpochs, Double learningRate, Double weightDecay, Long seed, String loss,
                           Double focalGamma, String classWeights, Dp dp, String compression, String optimizer,
                           Double momentum, Boolean nesterov, Integer bagsPerStep, Double labelSmoothing, Double gceQ,
                           Schedule schedule) {

        public Training(Integer localEpochs, Double learningRate, Double weightDecay, Long seed, String loss,
                        Double focalGamma, String classWeights, Dp dp, String compression) {
            this(localEpochs, learningRate, weightDecay, seed, loss, focalGamma, classWeights, dp, compression, null,
                    null, null, null, null, null, null);
        }

        public Training(Integer localEpochs, Double learningRate, Double weightDecay, Long seed, String loss,
                        Double focalGamma, String classWeights, Dp dp) {
            this(localEpochs, learningRate, weightDecay, seed, loss, focalGamma, classWeights, dp, null);
        }

        public Training(Integer localEpochs, Double learningRate, Double weightDecay, Long seed, String loss,
                        Double focalGamma, String classWeights) {
            this(localEpochs, learningRate, weightDecay, seed, loss, focalGamma, classWeights, null);
        }

        public Training {
            localEpochs = localEpochs == null ? 1 : localEpochs;
            learningRate = learningRate == null ? 5e-4 : learningRate;
            // Ilse et al.'s 1e-4, and what bench mil measured the default recipe with
            weightDecay = weightDecay == null ? 1e-4 : weightDecay;
            seed = seed == null ? 42L : seed;
            loss = loss == null ? LossConfig.DEFAULT.kind().configName() : loss;
            focalGamma = focalGamma == null ? LossConfig.DEFAULT.focalGamma() : focalGamma;
            classWeights = classWeights == null ? LossConfig.DEFAULT.classWeighting().configName() : classWeights;
            compression = compression == null ? org.fedmil.tensor.DeltaEncoding.FLOAT32.configName() : compression;
            optimizer = optimizer == null ? OptimizerConfig.ADAM.kind().configName() : optimizer;
            momentum = momentum == null ? 0.0 : momentum;
            nesterov = nesterov != null && nesterov;
            bagsPerStep = bagsPerStep == null ? 1 : bagsPerStep;
            labelSmoothing = labelSmoothing == null ? 0.0 : labelSmoothing;
            gceQ = gceQ == null ? LossConfig.DEFAULT_GCE_Q : gceQ;
            schedule = schedule == null ? new Schedule(null, null, null, null, null, null) : schedule;
        }

        public OptimizerConfig optimizerConfig() {
            return new OptimizerConfig(OptimizerConfig.Kind.fromConfigName(optimizer), momentum, nesterov);
        }

        /** training.compression: how sites encode their deltas; none (float32, exact) unless asked. */
        public org.fedmil.tensor.DeltaEncoding deltaEncoding() {
            return org.fedmil.tensor.DeltaEncoding.fromConfigName(compression);
        }

        public java.util.Optional<org.fedmil.coordinator.round.FederationPlan.DpRequirement> dpRequirement() {
            return dp == null ? java.util.Optional.empty() : java.util.Optional.of(
                    new org.fedmil.coordinator.round.FederationPlan.DpRequirement(dp.clipNorm(), dp.noiseMultiplier(),
                            dp.distributed(), dp.patientLevel() ? dp.samplingRate() : 0));
        }

        public LossConfig lossConfig() {
            return new LossConfig(LossConfig.Kind.fromConfigName(loss), focalGamma,
                    LossConfig.ClassWeighting.fromConfigName(classWeights), gceQ, labelSmoothing);
        }
    }

    /**
     * training.schedule: how the learning rate moves over the rounds.
     *
     * @param kind            constant (default), cosine or reduce_on_plateau
     * @param warmupRounds    cosine: rounds of linear warm-up
     * @param minLearningRate cosine: the final rate; reduce_on_plateau: the floor
     * @param factor          reduce_on_plateau: multiplier of each reduction
     * @param patience        reduce_on_plateau: rounds without held-out improvement before a reduction
     * @param threshold       reduce_on_plateau: relative improvement that counts
     */
    public record Schedule(String kind, Double warmupRounds, Double minLearningRate, Double factor, Integer patience,
                           Double threshold) {

        public Schedule {
            LearningRateSchedule d = LearningRateSchedule.CONSTANT;
            kind = kind == null ? d.kind().configName() : kind;
            warmupRounds = warmupRounds == null ? d.warmupRounds() : warmupRounds;
            minLearningRate = minLearningRate == null ? d.minLearningRate() : minLearningRate;
            factor = factor == null ? d.factor() : factor;
            patience = patience == null ? d.patience() : patience;
            threshold = threshold == null ? d.threshold() : threshold;
        }

        public LearningRateSchedule learningRateSchedule() {
            return new LearningRateSchedule(LearningRateSchedule.Kind.fromConfigName(kind), warmupRounds,
                    minLearningRate, factor, patience, threshold);
        }
    }

    /**
     * training.dp: with mode site_dp (the default) clip each site's delta to L2 norm clip_norm and add
     * N(0, (noise_multiplier × clip_norm)²), at every site or, with distributed, once to the securely aggregated sum
     * (each site its share); with mode patient_dp_sgd train under DP-SGD at the sites instead, each bag's gradient
     * clipped to clip_norm, bags Poisson-sampled at sampling_rate, the same noise on every step's sum.
     */
    public record Dp(Double clipNorm, Double noiseMultiplier, Boolean distributed, String mode, Double samplingRate) {

        public static final String SITE_DP = "site_dp";
        public static final String PATIENT_DP_SGD = "patient_dp_sgd";

        public Dp {
            distributed = distributed != null && distributed;
        }

        /** Site-level DP. */
        public Dp(Double clipNorm, Double noiseMultiplier) {
            this(clipNorm, noiseMultiplier, false, null, null);
        }

        /** Site-level DP, distributed under secure aggregation or not. */
        public Dp(Double clipNorm, Double noiseMultiplier, Boolean distributed) {
            this(clipNorm, noiseMultiplier, distributed, null, null);
        }

        /** Site-level DP or DP-SGD per bag. */
        public Dp(Double clipNorm, Double noiseMultiplier, String mode, Double samplingRate) {
            this(clipNorm, noiseMultiplier, false, mode, samplingRate);
        }

        public boolean patientLevel() {
            return PATIENT_DP_SGD.equals(mode);
        }
    }

    public static CoordinatorConfig load(Path file) {
        CoordinatorConfig raw = ConfigFiles.read(file, CoordinatorConfig.class);
        return raw.resolvedAgainst(file);
    }

    /** Resolves relative paths against the config file's folder and checks every value's range. */
    public CoordinatorConfig resolvedAgainst(Path file) {
        if (tls == null) {
            throw new ConfigException(file + ": section 'tls' (cert, key, ca) is required");
        }
        if (heldoutDir == null) {
            throw new ConfigException(file + ": key 'heldout_dir' is required: the folder of the coordinator's held-out bags");
        }
        Path heldout = ConfigFiles.resolve(file, heldoutDir);
        if (!java.nio.file.Files.isDirectory(heldout)) {
            throw new ConfigException(file + ": key 'heldout_dir' names " + heldout + ", which is not a folder; "
                    + "expected the held-out bags in the site data format (docs/data-format.md)");
        }
        CoordinatorConfig c = new CoordinatorConfig(federationId, listen, tls.resolvedAgainst(file, "tls"),
                ConfigFiles.resolve(file, stateDir), ConfigFiles.resolve(file, heldoutDir), minSites, rounds, model,
                training, device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy,
                pretraining, secureAggregation,
                new Evaluation(evaluation.tta(), evaluation.ensembleLastK(), evaluation.ensembleModels().stream()
                        .map(m -> ConfigFiles.resolve(file, m)).toList(), evaluation.heldOut()), pseudoLabels,
                earlyStopping, secureAggregationGraph);
        c.validate(file);
        return c;
    }

    private void validate(Path file) {
        check(file, minSites >= 1, "min_sites", minSites, "at least 1");
        check(file, rounds >= 1, "rounds", rounds, "at least 1");
        check(file, earlyStopping.patience() >= 1, "early_stopping.patience", earlyStopping.patience(),
                "at least 1 validated model without improvement");
        check(file, earlyStopping.minRounds() >= 1, "early_stopping.min_rounds", earlyStopping.minRounds(),
                "at least 1");
        check(file, roundDeadlineSeconds >= 0, "round_deadline_seconds", roundDeadlineSeconds,
                "0 (no deadline: a round waits for every participant) or more seconds");
        check(file, minUpdates >= 1 && minUpdates <= minSites, "min_updates", minUpdates,
                "1.." + minSites + " (at most min_sites, or no round could ever be aggregated)");
        check(file, onShortRound.equals("retry") || onShortRound.equals("skip"), "on_short_round", onShortRound,
                "retry or skip");
        check(file, limits.maxUpdateL2Norm() > 0 && !Double.isNaN(limits.maxUpdateL2Norm()),
                "limits.max_update_l2_norm", limits.maxUpdateL2Norm(), "a positive number");
        check(file, limits.maxUpdateBytes() >= 1 && limits.maxUpdateBytes() <= Integer.MAX_VALUE - 8,
                "limits.max_update_bytes", limits.maxUpdateBytes(), "1.." + (Integer.MAX_VALUE - 8));
        check(file, limits.maxConcurrentCallsPerSite() >= 2, "limits.max_concurrent_calls_per_site",
                limits.maxConcurrentCallsPerSite(), "at least 2 (a site's long poll plus one transfer)");
        check(file, limits.handshakeTimeoutSeconds() >= 1 && limits.handshakeTimeoutSeconds() <= 600,
                "limits.handshake_timeout_seconds", limits.handshakeTimeoutSeconds(), "1..600 seconds");
        check(file, limits.writeCallsPerSecond() >= 0 && Double.isFinite(limits.writeCallsPerSecond()),
                "limits.write_calls_per_second", limits.writeCallsPerSecond(), "0 (no limit) or more calls per second");
        check(file, limits.writeCallBurst() >= 1, "limits.write_call_burst", limits.writeCallBurst(), "at least 1");
        check(file, listen.port() >= 0 && listen.port() <= 65535, "listen.port", listen.port(), "0..65535");
        check(file, dashboard.port() >= 0 && dashboard.port() <= 65535, "dashboard.port", dashboard.port(),
                "0..65535 (0 picks a free port)");
        check(file, !dashboard.host().isBlank(), "dashboard.host", dashboard.host(), "a host name or address");
        check(file, model.hiddenDim() >= 1, "model.hidden_dim", model.hiddenDim(), "at least 1");
        check(file, model.inputDim() >= 0, "model.input_dim", model.inputDim(),
                "a positive width (the features per instance of every site's bags), or absent to take the held-out set's");
        check(file, model.inputDim() == 0 || model.encoderKind() == Encoder.MLP, "model.input_dim", model.inputDim(),
                "absent for the cnn encoder (its input is channels × tile_size²)");
        check(file, model.attentionDim() >= 1, "model.attention_dim", model.attentionDim(), "at least 1");
        check(file, training.localEpochs() >= 1, "training.local_epochs", training.localEpochs(), "at least 1");
        check(file, training.learningRate() > 0 && Double.isFinite(training.learningRate()),
                "training.learning_rate", training.learningRate(), "a positive number");
        check(file, training.weightDecay() >= 0, "training.weight_decay", training.weightDecay(), "0 or more");
        check(file, java.util.Arrays.stream(org.fedmil.tensor.DeltaEncoding.values())
                        .anyMatch(e -> e.configName().equals(training.compression())), "training.compression",
                training.compression(), "none, float16 or int8");
        check(file, !federationId.isBlank(), "federation_id", federationId, "a non-empty name");
        if (training.dp() != null) {
            Dp dp = training.dp();
            check(file, dp.clipNorm() != null && dp.clipNorm() > 0 && Double.isFinite(dp.clipNorm()),
                    "training.dp.clip_norm", dp.clipNorm(), "a positive number (the L2 norm each delta is clipped to)");
            check(file, dp.noiseMultiplier() != null && dp.noiseMultiplier() > 0
                            && Double.isFinite(dp.noiseMultiplier()), "training.dp.noise_multiplier",
                    dp.noiseMultiplier(), "a positive number (noise standard deviation in units of clip_norm)");
            check(file, !dp.distributed() || secureAggregation, "training.dp.distributed", dp.distributed(),
                    "false unless secure_aggregation is true: distributed noise is added in secure aggregation's "
                            + "mask step, and without it no site would noise its delta");
            check(file, !dp.distributed() || dp.noiseMultiplier() <= 16, "training.dp.noise_multiplier",
                    dp.noiseMultiplier(), "at most 16 with training.dp.distributed (the exact sampler's range)");
            check(file, dp.mode() == null || dp.mode().equals(Dp.SITE_DP) || dp.patientLevel(), "training.dp.mode",
                    dp.mode(), Dp.SITE_DP + " (noise on each site's delta) or " + Dp.PATIENT_DP_SGD
                            + " (DP-SGD per bag inside local training)");
            check(file, dp.patientLevel() == (dp.samplingRate() != null), "training.dp.sampling_rate",
                    dp.samplingRate(), dp.patientLevel() ? "a number in (0, 1], each bag's chance of being in a "
                            + "DP-SGD step's lot (patient_dp_sgd needs it)"
                            : "left out: it is for mode " + Dp.PATIENT_DP_SGD + " only");
            check(file, dp.samplingRate() == null || (dp.samplingRate() > 0 && dp.samplingRate() <= 1),
                    "training.dp.sampling_rate", dp.samplingRate(), "a number in (0, 1]");
            check(file, !(dp.distributed() && dp.patientLevel()), "training.dp.distributed", dp.distributed(),
                    "false with mode " + Dp.PATIENT_DP_SGD + ": DP-SGD adds its noise in training, distributed noise "
                            + "is for site-level DP under secure aggregation; choose one");
        }
        try {
            Architecture.fromConfigName(model.architecture());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": key 'model.architecture': " + e.getMessage());
        }
        Encoder encoder;
        try {
            encoder = model.encoderKind();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": key 'model.encoder': " + e.getMessage());
        }
        if (encoder == Encoder.CNN) {
            check(file, model.channels() == 1 || model.channels() == 3, "model.channels", model.channels(),
                    "1 (grey) or 3 (RGB) for the cnn encoder");
            check(file, model.tileSize() >= ModelSpec.MIN_TILE_SIZE && model.tileSize() <= 1024, "model.tile_size",
                    model.tileSize(), ModelSpec.MIN_TILE_SIZE + "..1024 pixels for the cnn encoder");
        } else {
            check(file, model.channels() == 0 && model.tileSize() == 0, "model.channels/model.tile_size",
                    model.channels() + "/" + model.tileSize(), "unset: they apply to encoder: cnn only");
        }
        check(file, model.featureEncoderSha256().isEmpty() || model.featureEncoderSha256().matches("[0-9a-f]{64}"),
                "model.feature_encoder_sha256", model.featureEncoderSha256(), "the SHA-256 of the encoder file, 64 "
                        + "hex digits, as 'sha256sum encoder.pt' or 'fedmil data features' prints it");
        check(file, model.featureEncoderSha256().isEmpty() || encoder == Encoder.MLP, "model.feature_encoder_sha256",
                model.featureEncoderSha256(), "unset with encoder: cnn (it pins the encoder of feature bags)");
        check(file, pretraining.rounds() >= 0, "pretraining.rounds", pretraining.rounds(),
                "0 (no pretraining) or more rounds");
        if (pretraining.rounds() > 0) {
            check(file, encoder == Encoder.CNN, "model.encoder", model.encoder(), "cnn when pretraining.rounds > 0: "
                    + "contrastive pretraining varies image tiles (flips, shifts, colours), which feature bags are not");
            try {
                pretraining.plan();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": section 'pretraining': " + e.getMessage());
            }
            check(file, pretraining.maxShift() < model.tileSize(), "pretraining.max_shift", pretraining.maxShift(),
                    "less than model.tile_size (" + model.tileSize() + ")");
            check(file, pretraining.colourJitter() >= 0 && pretraining.colourJitter() < 1,
                    "pretraining.colour_jitter", pretraining.colourJitter(), "0 (none) up to, not including, 1");
        }
        // evaluation extras and pseudo-labels
        check(file, java.util.List.of("none", "flips", "rotations", "all").contains(evaluation.tta()),
                "evaluation.tta", evaluation.tta(), "none, flips, rotations or all");
        check(file, evaluation.tta().equals("none") || encoder == Encoder.CNN, "evaluation.tta", evaluation.tta(),
                "none: flips and rotations apply to tile bags (encoder: cnn) only");
        check(file, evaluation.heldOut() || !evaluation.any(), "evaluation.held_out", evaluation.heldOut(),
                "true while tta or an ensemble is asked for: those score the held-out set too");
        check(file, evaluation.ensembleLastK() == 0 || evaluation.ensembleLastK() >= 2, "evaluation.ensemble_last_k",
                evaluation.ensembleLastK(), "0 (off) or at least 2 models");
        for (Path m : evaluation.ensembleModels()) {
            check(file, java.nio.file.Files.isRegularFile(m) || java.nio.file.Files.isDirectory(m.resolve("models")),
                    "evaluation.ensemble_models", m, "model files (.fedmil) or coordinator state folders (holding "
                            + "models/ and metrics.json) of other federations, that exist");
        }
        check(file, pseudoLabels.threshold() == 0 || (pseudoLabels.threshold() > 0.5 && pseudoLabels.threshold() <= 1),
                "pseudo_labels.threshold", pseudoLabels.threshold(),
                "0 (off) or a confidence in (0.5, 1], e.g. 0.9");
        // strategy: its parameters bind, and a strategy that buffers updates can hold a round of min_sites
        Strategy built;
        try {
            built = strategy.create();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        built.maxBufferedUpdates().ifPresent(bound -> check(file, bound >= minSites,
                "strategy.max_buffered_updates", bound, "at least min_sites (" + minSites + "): " + built.name()
                        + " holds every update of a round in memory, and a round of min_sites updates must fit"));
        if (secureAggregation) {
            checkSecureAggregation(file, built);
        }
        secureAggregationGraph.check(file);
        try {
            training.lossConfig();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training' (loss, focal_gamma, class_weights, gce_q, "
                    + "label_smoothing): " + e.getMessage());
        }
        try {
            training.optimizerConfig();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training' (optimizer, momentum, nesterov): "
                    + e.getMessage());
        }
        check(file, training.bagsPerStep() >= 1, "training.bags_per_step", training.bagsPerStep(),
                "at least 1 (1: one bag per optimiser step)");
        LearningRateSchedule schedule;
        try {
            schedule = training.schedule().learningRateSchedule();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training.schedule': " + e.getMessage());
        }
        schedule.problemFor(rounds, training.learningRate()).ifPresent(p -> {
            throw new ConfigException(file + ": section 'training.schedule': " + p);
        });
    }

    /**
     * Secure aggregation hands the coordinator only the sum of a round's deltas, so whatever needs the individual
     * deltas cannot run with it; refused here rather than found out in round 1.
     */
    private void checkSecureAggregation(Path file, Strategy built) {
        if (!built.capabilities().contains(Capability.LINEAR)) {
            Strategy base = built instanceof ClippedStrategy clipped ? clipped.inner() : built;
            if (!base.capabilities().contains(Capability.LINEAR)) {
                throw new ConfigException(file + ": key 'strategy.name' is " + strategy.name() + ", which needs every "
                        + "site's individual update, but secure_aggregation: true gives the coordinator only their "
                        + "sum; use " + linearStrategies() + " (they need only the mean), or turn secure aggregation off");
            }
            throw new ConfigException(file + ": key 'strategy.clip_norm' clips each site's update at the coordinator, "
                    + "which secure_aggregation: true makes impossible (it sees only the sum); bound the updates at "
                    + "the sites instead with training.dp.clip_norm, or turn secure aggregation off");
        }
        check(file, pretraining.rounds() == 0, "pretraining.rounds", pretraining.rounds(), "0 with "
                + "secure_aggregation: true (pretraining rounds send encoder deltas in the clear; masking them is not "
                + "built yet)");
        check(file, minSites >= 3, "min_sites", minSites, "at least 3 with secure_aggregation: true (with two "
                + "sites each one learns the other's delta from the sum and its own)");
        check(file, training.compression().equals(org.fedmil.tensor.DeltaEncoding.FLOAT32.configName()),
                "training.compression", training.compression(), "none with secure_aggregation: true (the masked "
                        + "upload is 8 bytes per coordinate whatever the encoding)");
        check(file, Double.isFinite(limits.maxUpdateL2Norm()), "limits.max_update_l2_norm", limits.maxUpdateL2Norm(),
                "a finite bound with secure_aggregation: true (it bounds every coordinate of the fixed-point encoding)");
    }

    /** The registered strategies that need only the mean of the updates, e.g. "fedadam, fedavg or fedyogi". */
    private static String linearStrategies() {
        java.util.List<String> names = Strategies.types().stream()
                .filter(t -> StrategySettings.parse(t.name()).create().capabilities().contains(Capability.LINEAR))
                .map(org.fedmil.coordinator.aggregate.StrategyType::name).toList();
        return names.size() == 1 ? names.get(0) : String.join(", ", names.subList(0, names.size() - 1)) + " or "
                + names.get(names.size() - 1);
    }

    private static void check(Path file, boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new ConfigException(file + ": key '" + key + "' is " + value + ", expected " + expected);
        }
    }

    public CoordinatorConfig withPort(int port) {
        return new CoordinatorConfig(federationId, new Listen(listen.host(), port), tls, stateDir, heldoutDir, minSites,
                rounds, model, training, device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard,
                strategy, pretraining, secureAggregation, evaluation, pseudoLabels);
    }

    @Override
    public String toString() {
        return Objects.toString(federationId) + "@" + listen.host() + ":" + listen.port();
    }
}
