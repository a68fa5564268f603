package org.fedmil.coordinator.config;

import java.nio.file.Path;
import java.util.Objects;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelSpec;
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
 * @param encoderFineTune whether a pretrained encoder's last block trains with the head in the rounds (off by default)
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
        EncoderFineTuneSection encoderFineTune,
        SecureAggregationGraphSection secureAggregationGraph) {

    /** Without fine-tuning of a pretrained encoder's block, with the default secure_aggregation_graph section. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard, StrategySettings strategy, Pretraining pretraining,
                             Boolean secureAggregation, Evaluation evaluation, PseudoLabels pseudoLabels,
                             EarlyStoppingSection earlyStopping) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, earlyStopping, null, null);
    }

    /** With the default secure_aggregation_graph section. */
    public CoordinatorConfig(String federationId, Listen listen, TlsFiles tls, Path stateDir, Path heldoutDir,
                             Integer minSites, Integer rounds, Model model, Training training, String device,
                             Integer roundDeadlineSeconds, Integer minUpdates, String onShortRound, Limits limits,
                             Dashboard dashboard, StrategySettings strategy, Pretraining pretraining,
                             Boolean secureAggregation, Evaluation evaluation, PseudoLabels pseudoLabels,
                             EarlyStoppingSection earlyStopping, EncoderFineTuneSection encoderFineTune) {
        this(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training, device,
                roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, earlyStopping, encoderFineTune, null);
    }

    /** A copy with another encoder_fine_tune section. */
    public CoordinatorConfig withEncoderFineTune(EncoderFineTuneSection f) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, earlyStopping, f, secureAggregationGraph);
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

    /** A copy with another early_stopping section. */
    public CoordinatorConfig withEarlyStopping(EarlyStoppingSection e) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, pretraining,
                secureAggregation, evaluation, pseudoLabels, e, encoderFineTune, secureAggregationGraph);
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
        encoderFineTune = encoderFineTune == null ? EncoderFineTuneSection.NONE : encoderFineTune;
        secureAggregationGraph = secureAggregationGraph == null ? SecureAggregationGraphSection.defaults()
                : secureAggregationGraph;
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
                secureAggregation, evaluation, pseudoLabels, earlyStopping, encoderFineTune, secureAggregationGraph);
    }
    // --- end dashboard ---

    /** A copy with another pretraining section. */
    public CoordinatorConfig withPretraining(Pretraining p) {
        return new CoordinatorConfig(federationId, listen, tls, stateDir, heldoutDir, minSites, rounds, model, training,
                device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy, p,
                secureAggregation, evaluation, pseudoLabels, earlyStopping, encoderFineTune, secureAggregationGraph);
    }

    /**
     * @param maxUpdateL2Norm          an update whose delta's L2 norm (all tensors) is larger is refused
     * @param maxUpdateBytes           an upload announcing more bytes is refused before anything is buffered
     * @param maxConcurrentCallsPerSite calls one site may have open at once; more are refused
     * @param handshakeTimeoutSeconds  a TLS handshake not finished in this time is dropped, so a stalled client does
     *                                 not hold a connection; a cold client JVM on a loaded host can take seconds
     * @param writeCallsPerSecond      a site's sustained rate of calls that write to the round log (0: no limit)
     * @param writeCallBurst           how many such calls a site may make at once before the rate applies
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
                    dp.fedSgd() ? org.fedmil.coordinator.round.FederationPlan.DpRequirement.fedSgd(dp.clipNorm(),
                            dp.noiseMultiplier(), dp.samplingRate(), dp.minNoisedSites(), dp.deltaOrDefault())
                    : new org.fedmil.coordinator.round.FederationPlan.DpRequirement(dp.clipNorm(), dp.noiseMultiplier(),
                            dp.distributed(), dp.patientLevel() ? dp.samplingRate() : 0));
        }

        /** This section with training.dp replaced. */
        Training withDp(Dp replaced) {
            return new Training(localEpochs, learningRate, weightDecay, seed, loss, focalGamma, classWeights, replaced,
                    compression, optimizer, momentum, nesterov, bagsPerStep, labelSmoothing, gceQ, schedule);
        }

        public LossConfig lossConfig() {
            return new LossConfig(LossConfig.Kind.fromConfigName(loss), focalGamma,
                    LossConfig.ClassWeighting.fromConfigName(classWeights), gceQ, labelSmoothing);
        }
    }

    /**
     * training.dp: with mode site_dp (the default) clip each site's delta to L2 norm clip_norm and add
     * N(0, (noise_multiplier × clip_norm)²), at every site or, with distributed, once to the securely aggregated sum
     * (each site its share); with mode patient_dp_sgd train under DP-SGD at the sites instead, each bag's gradient
     * clipped to clip_norm, bags Poisson-sampled at sampling_rate, the same noise on every step's sum; with mode
     * dp_fedsgd run DP-FedSGD under secure aggregation (one noisy gradient step per round over every site's bags,
     * each site adding a discrete Gaussian share of the noise, {@link org.fedmil.mil.train.DpFedSgd}), σ given or
     * calibrated from target_epsilon at delta over the federation's rounds.
     *
     * @param targetEpsilon  dp_fedsgd: the patient-level ε the run may spend over its rounds (σ is calibrated to it)
     * @param delta          dp_fedsgd: the δ of target_epsilon; 10⁻⁵ if absent
     * @param minNoisedSites dp_fedsgd: K_min, the fewest sites whose noise shares any released sum holds; secure
     *                       aggregation's threshold t at min_sites if absent ({@link #withDefaults})
     */
    public record Dp(Double clipNorm, Double noiseMultiplier, Boolean distributed, String mode, Double samplingRate,
                     Double targetEpsilon, Double delta, Integer minNoisedSites) {

        public static final String SITE_DP = "site_dp";
        public static final String PATIENT_DP_SGD = "patient_dp_sgd";
        public static final String DP_FEDSGD = "dp_fedsgd";
        public static final double DEFAULT_DELTA = 1e-5;

        public Dp {
            distributed = distributed != null && distributed;
        }

        /** Site-level DP or DP-SGD per bag, distributed or not. */
        public Dp(Double clipNorm, Double noiseMultiplier, Boolean distributed, String mode, Double samplingRate) {
            this(clipNorm, noiseMultiplier, distributed, mode, samplingRate, null, null, null);
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

        public boolean fedSgd() {
            return DP_FEDSGD.equals(mode);
        }

        /** dp_fedsgd's δ. */
        public double deltaOrDefault() {
            return delta == null ? DEFAULT_DELTA : delta;
        }

        /** dp_fedsgd with K_min and σ filled in when left out ({@link DpFedSgdDefaults}); other modes as they are. */
        Dp withDefaults(int minSites, int minUpdates, int rounds) {
            return DpFedSgdDefaults.apply(this, minSites, minUpdates, rounds);
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
        Training t = training.dp() == null ? training
                : training.withDp(training.dp().withDefaults(minSites, minUpdates, rounds));
        CoordinatorConfig c = new CoordinatorConfig(federationId, listen, tls.resolvedAgainst(file, "tls"),
                ConfigFiles.resolve(file, stateDir), ConfigFiles.resolve(file, heldoutDir), minSites, rounds, model,
                t, device, roundDeadlineSeconds, minUpdates, onShortRound, limits, dashboard, strategy,
                pretraining, secureAggregation,
                new Evaluation(evaluation.tta(), evaluation.ensembleLastK(), evaluation.ensembleModels().stream()
                        .map(m -> ConfigFiles.resolve(file, m)).toList(), evaluation.heldOut()), pseudoLabels,
                earlyStopping, encoderFineTune.resolvedAgainst(file), secureAggregationGraph);
        CoordinatorConfigValidation.validate(file, c);
        c.encoderFineTune().validate(file, c);
        return c;
    }

    @Override
    public String toString() {
        return Objects.toString(federationId) + "@" + listen.host() + ":" + listen.port();
    }
}
