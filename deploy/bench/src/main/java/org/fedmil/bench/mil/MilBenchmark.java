package org.fedmil.bench.mil;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.MetricsJson;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.coordinator.aggregate.FedOpt;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.DpSgd;
import org.fedmil.privacy.NoiseCalibration;
import org.fedmil.privacy.RdpAccountant;

/**
 * Federated vs centralised vs local-only, per architecture and split: trains every arm with the same
 * {@link Recipe} from the same initial model and scores it on the split's held-out bags. Every result is
 * appended to a JSON-lines file as soon as it exists, so a long run that is stopped keeps what it finished.
 */
public final class MilBenchmark {

    // an undefined AUC (a held-out set of one class) is null in the JSON lines, not the non-JSON NaN
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(MetricsJson.module());

    private final Recipe recipe;
    private final int hiddenDim;
    private final int attentionDim;
    private final Device device;
    private final boolean localOnly;
    private final Path results;
    private final PrintStream progress;
    private final boolean centralised;
    private final List<Double> dpNoises;
    private final double dpClip;

    public MilBenchmark(Recipe recipe, int hiddenDim, int attentionDim, Device device, boolean localOnly,
                        Path results, PrintStream progress) {
        this(recipe, hiddenDim, attentionDim, device, localOnly, true, List.of(), Double.NaN, results, progress);
    }

    /**
     * @param centralised whether to train the centralised arm
     * @param dpNoises    noise multipliers σ of extra "federated-dp" arms (none: no DP arms)
     * @param dpClip      clip norm C of the DP arms
     */
    public MilBenchmark(Recipe recipe, int hiddenDim, int attentionDim, Device device, boolean localOnly,
                        boolean centralised, List<Double> dpNoises, double dpClip, Path results,
                        PrintStream progress) {
        if (!dpNoises.isEmpty() && !(dpClip > 0)) {
            throw new IllegalArgumentException("DP arms need a clip norm C > 0, got " + dpClip + "; pick it from the "
                    + "median delta norm a run without DP prints");
        }
        this.centralised = centralised;
        this.dpNoises = List.copyOf(dpNoises);
        this.dpClip = dpClip;
        this.recipe = recipe;
        this.hiddenDim = hiddenDim;
        this.attentionDim = attentionDim;
        this.device = device;
        this.localOnly = localOnly;
        this.results = results;
        this.progress = progress;
    }

    private List<String> strategies = List.of();
    private List<Attack> attacks = List.of();
    private Simulation.Stopping stopping = Simulation.Stopping.OFF;

    /**
     * The federated, centralised and local-only arms keep validation bags back and stop early on them, as a
     * federation of the product does by default; the held-out set stays a test set.
     */
    public MilBenchmark withStopping(Simulation.Stopping s) {
        this.stopping = s;
        return this;
    }

    /**
     * Replaces the federated (FedAvg) arm by one federated arm per strategy
     * ({@link org.fedmil.coordinator.aggregate.StrategySettings#parse} form), each run under {@code attacks} (none: attack-free), with the held-out AUC recorded after every round.
     */
    public MilBenchmark withStrategies(List<String> strategySpecs, List<Attack> attackList) {
        for (String s : strategySpecs) {
            StrategySettings.parse(s).create();
        }
        this.strategies = List.copyOf(strategySpecs);
        this.attacks = List.copyOf(attackList);
        return this;
    }

    /** The kept model's federated validation, as "validation_loss=…:validation_balanced_loss=…:validation_auc=…". */
    private static String keptValidation(Simulation simulation) {
        return simulation.keptValidation().map(v -> String.format(Locale.ROOT,
                "validation_loss=%.4f:validation_balanced_loss=%.4f:validation_auc=%s", v.loss(), v.balancedLoss(),
                auc(v))).orElse(null);
    }

    private void reportStop(String arm, Simulation simulation, String unit) {
        if (stopping.enabled()) {
            progress.printf(java.util.Locale.ROOT, "%-12s %s: trained %d %s, kept the model of %d (%s)%n", "", arm,
                    simulation.lastRun().trained(), unit, simulation.lastRun().kept(),
                    switch (stopping.criterion()) {
                        case LOSS -> "lowest validation loss";
                        case BALANCED_LOSS -> "lowest class-balanced validation loss";
                        case AUC -> "highest validation AUC, ties by loss";
                    });
            // a federated arm's choice; the single-party arms choose on their own validation bags
            simulation.keptValidation().filter(v -> unit.equals("rounds"))
                    .ifPresent(v -> progress.printf(Locale.ROOT, "%-12s %s: kept model's federated validation: "
                            + "loss %.4f, balanced %.4f, AUC %s%n", "", arm, v.loss(), v.balancedLoss(), auc(v)));
        }
    }

    private boolean carryOptimizer;

    private boolean trace;
    private String tracedArm = "";

    /**
     * Prints every site's training and validation bags, and after every round (epoch) of every arm its training
     * loss, the federated validation loss, class-balanced loss and AUC, each site's, and the held-out AUC: a
     * diagnosis of one split. The held-out AUC is printed, never used.
     */
    public MilBenchmark withTrace(boolean on) {
        this.trace = on;
        return this;
    }

    private void startTrace(BenchSplit split, Simulation simulation) {
        if (!trace) {
            return;
        }
        ValidationSplit vs = stopping.split();
        for (int s = 0; s < split.sites().size(); s++) {
            ValidationSplit.Parts p = vs.split(split.sites().get(s));
            long valPos = p.validation().stream().filter(b -> b.label() == 1).count();
            progress.printf(Locale.ROOT, "trace site-%d: training %d bags (%d positive), validation %d (%d positive)%n",
                    s + 1, p.training().size(), p.trainingCounts().positives(), p.validation().size(), valPos);
        }
        List<Bag> heldout = split.heldout().bags();
        simulation.withTrace((round, model, loss, siteLosses, v, siteV) -> {
            MilModel.Scores sc = model.score(heldout);
            StringBuilder sites = new StringBuilder();
            for (int s = 0; s < siteV.size(); s++) {
                ValidationMetrics own = siteV.get(s);
                sites.append(String.format(Locale.ROOT, " | s%d tr %s va %s auc %s", s + 1,
                        s < siteLosses.size() ? fixed(siteLosses.get(s), "%.3f") : "-",
                        own == null ? "-" : fixed(own.balancedLoss(), "%.3f"), own == null ? "-" : auc(own)));
            }
            progress.printf(Locale.ROOT, "trace %s %d: train %s val %.4f bal %.4f auc %s heldout %s%s%n", tracedArm,
                    round, fixed(loss, "%.4f"), v.loss(), v.balancedLoss(), auc(v),
                    fixed(BinaryMetrics.of(sc.labels(), sc.probabilities()).auc(), "%.3f"),
                    siteV.size() > 1 ? sites : "");
        });
    }

    private static String auc(ValidationMetrics v) {
        return v.auc().isPresent() ? String.format(Locale.ROOT, "%.3f", v.auc().getAsDouble()) : "n/a";
    }

    private List<Double> dpSgdEpsilons = List.of();
    private double dpSgdClip;
    private double dpSgdRate;

    /**
     * One extra federated arm per target ε: every site trains under patient-level DP-SGD (per-bag clipping to
     * {@code clip}, Poisson lots at rate {@code q}) with the smallest σ that keeps a bag's ε over all rounds × local
     * steps at most the target at δ = {@link RunRecord#DP_DELTA}.
     */
    public MilBenchmark withDpSgd(List<Double> targetEpsilons, double clip, double q) {
        if (!targetEpsilons.isEmpty()) {
            new DpSgd(clip, 1, q); // a bad C or q fails now, not after the first arms
            for (double e : targetEpsilons) {
                NoiseCalibration.noiseMultiplierFor(e, RunRecord.DP_DELTA, q, dpSgdSteps(q));
            }
        }
        this.dpSgdEpsilons = List.copyOf(targetEpsilons);
        this.dpSgdClip = clip;
        this.dpSgdRate = q;
        return this;
    }

    /** Every DP-SGD step of one bag's whole federation: rounds × local epochs × steps per epoch. */
    private int dpSgdSteps(double q) {
        return recipe.rounds() * new DpSgd(1, 1, q).steps(recipe.localEpochs());
    }

    private boolean skipPlainFederated;

    /** Leaves out the federated arm without DP (the DP arms and the others still run). */
    public MilBenchmark withoutPlainFederatedArm(boolean skip) {
        this.skipPlainFederated = skip;
        return this;
    }

    private void runDpSgd(BenchSplit split, Architecture architecture, Simulation simulation, List<RunRecord> out) {
        int steps = dpSgdSteps(dpSgdRate);
        for (double target : dpSgdEpsilons) {
            double sigma = NoiseCalibration.noiseMultiplierFor(target, RunRecord.DP_DELTA, dpSgdRate, steps);
            double eps = RdpAccountant.epsilonOfSampledGaussian(dpSgdRate, sigma, steps, RunRecord.DP_DELTA)
                    .epsilon();
            // replace-one adjacency: sensitivity 2C, the same as halving σ
            double epsReplace = RdpAccountant.epsilonOfSampledGaussian(dpSgdRate, sigma / 2, steps,
                    RunRecord.DP_DELTA).epsilon();
            long t0 = System.nanoTime();
            List<Double> deltaNorms = new ArrayList<>();
            List<Double> bagNorms = new ArrayList<>();
            try (MilModel dp = simulation.federatedDpSgd(split.sites(), new DpSgd(dpSgdClip, sigma, dpSgdRate),
                    deltaNorms::add, bagNorms::add)) {
                FederatedFields f = federatedFields(split, deltaNorms, null);
                RunRecord r = score(split, architecture, "federated-dp-sgd", split.trainingBags(), dp, t0,
                        new FederatedFields(f.rounds(), f.sites(), f.medianDeltaNorm(), sigma, dpSgdClip, eps,
                                epsReplace), false);
                double bagNorm = bagNorms.stream().mapToDouble(Double::doubleValue).sorted()
                        .skip(bagNorms.size() / 2).findFirst().orElse(Double.NaN);
                String validation = simulation.lastValidation().map(v -> String.format(Locale.ROOT,
                        ":validation_auc=%s:validation_loss=%.4f", v.auc().isPresent()
                                ? String.format(Locale.ROOT, "%.4f", v.auc().getAsDouble()) : "n/a", v.loss()))
                        .orElse("");
                r = r.withVariant(String.format(Locale.ROOT, "dp_sgd:q=%s:steps=%d:target_epsilon=%s:"
                        + "median_bag_gradient_norm=%.4g%s", dpSgdRate, steps, target, bagNorm, validation));
                append(r);
                progress.printf(Locale.ROOT, "%-12s DP-SGD q %s, %d steps, σ %.4f for ε ≤ %s: ε %.3f; median per-bag "
                        + "gradient norm %.4g (C %s)%s%n", "", dpSgdRate, steps, sigma, target, eps, bagNorm, dpSgdClip,
                        validation.replace(':', ' '));
            }
        }
    }

    private List<Double> ddpEpsilons = List.of();
    private double ddpClip;

    /**
     * One extra federated arm per target ε under distributed DP with secure aggregation (site-level: adjacency is
     * one site's whole delta): sites clip their delta to {@code clip}, and the central noise multiplier is the
     * smallest that keeps ε over all rounds at most the target at δ = {@link RunRecord#DP_DELTA}.
     */
    public MilBenchmark withDistributedDp(List<Double> targetEpsilons, double clip) {
        if (!targetEpsilons.isEmpty() && !(clip > 0 && Double.isFinite(clip))) {
            throw new IllegalArgumentException("--ddp-clip must be a finite C > 0 with --ddp-epsilon, got " + clip
                    + "; the median delta norm a run without DP prints is a good start");
        }
        for (double e : targetEpsilons) {
            NoiseCalibration.noiseMultiplierFor(e, RunRecord.DP_DELTA, 1.0, recipe.rounds());
        }
        this.ddpEpsilons = List.copyOf(targetEpsilons);
        this.ddpClip = clip;
        return this;
    }

    private void runDistributedDp(BenchSplit split, Architecture architecture, Simulation simulation,
                                  List<RunRecord> out) {
        for (double target : ddpEpsilons) {
            double sigma = NoiseCalibration.noiseMultiplierFor(target, RunRecord.DP_DELTA, 1.0, recipe.rounds());
            long t0 = System.nanoTime();
            List<Double> deltaNorms = new ArrayList<>();
            List<Double> central = new ArrayList<>();
            try (MilModel dp = simulation.federatedDistributedDp(split.sites(),
                    new Simulation.DistributedDp(ddpClip, sigma), deltaNorms::add, central::add)) {
                // what the ledgers charge: every round at its own z', the weakest of them for all rounds
                double eps = 0;
                double epsReplace = 0;
                double weakest = central.stream().mapToDouble(Double::doubleValue).min().orElse(sigma);
                eps = RdpAccountant.epsilonOfSampledGaussian(1, weakest, recipe.rounds(), RunRecord.DP_DELTA)
                        .epsilon();
                epsReplace = RdpAccountant.epsilonOfSampledGaussian(1, weakest / 2, recipe.rounds(),
                        RunRecord.DP_DELTA).epsilon();
                FederatedFields f = federatedFields(split, deltaNorms, null);
                RunRecord r = score(split, architecture, "federated-ddp", split.trainingBags(), dp, t0,
                        new FederatedFields(f.rounds(), f.sites(), f.medianDeltaNorm(), sigma, ddpClip, eps,
                                epsReplace), false);
                String validation = simulation.lastValidation().map(v -> String.format(Locale.ROOT,
                        ":validation_auc=%s", v.auc().isPresent()
                                ? String.format(Locale.ROOT, "%.4f", v.auc().getAsDouble()) : "n/a")).orElse("");
                r = r.withVariant(String.format(Locale.ROOT, "distributed_dp:threshold=%d:target_epsilon=%s:"
                        + "central_noise_multiplier=%.6f%s", split.sites().size(), target, weakest, validation));
                append(r);
                progress.printf(Locale.ROOT, "%-12s distributed DP: σ %.4f (z' %.6f) for ε ≤ %s per site: ε %.3f%s%n",
                        "", sigma, weakest, target, eps, validation.replace(':', ' '));
            }
        }
    }

    private List<Double> fedSgdEpsilons = List.of();
    private DpFedSgd fedSgd;
    private double fedSgdServerRate;

    /**
     * One extra federated arm per target ε under DP-FedSGD with the noise distributed under secure aggregation
     * ({@link DpFedSgdFederation}): one noisy step per round over the pooled bags, per-bag clip {@code clip},
     * sampling rate {@code q}, FedAdam at {@code serverRate}; σ the smallest that keeps ε per bag over the rounds at
     * most the target at δ = {@link RunRecord#DP_DELTA}. Every site adds a share for K_min = all sites.
     */
    public MilBenchmark withDpFedSgd(List<Double> targetEpsilons, double clip, double q, double serverRate) {
        if (!targetEpsilons.isEmpty()) {
            // bad settings fail now, naming the option, not after the first arms
            requireOption(clip > 0 && Double.isFinite(clip), "--dp-fedsgd-clip", clip, "a finite C > 0; the median "
                    + "per-bag gradient norm a DP-SGD arm prints is a good start");
            requireOption(q > 0 && q <= 1, "--dp-fedsgd-sampling-rate", q, "in (0, 1]");
            requireOption(serverRate > 0 && Double.isFinite(serverRate), "--dp-fedsgd-server-lr", serverRate,
                    "a finite η > 0");
            for (double e : targetEpsilons) {
                requireOption(e > 0 && Double.isFinite(e), "--dp-fedsgd-epsilon", e, "finite targets > 0 (leave "
                        + "the option out for no DP)");
            }
        }
        this.fedSgdEpsilons = List.copyOf(targetEpsilons);
        this.fedSgd = targetEpsilons.isEmpty() ? null : new DpFedSgd(clip, 1, q, 1);
        this.fedSgdServerRate = serverRate;
        return this;
    }

    private static void requireOption(boolean ok, String option, double value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(option + " must be " + expected + ", got " + value);
        }
    }

    private void runDpFedSgd(BenchSplit split, Architecture architecture, ModelSpec spec) {
        DpFedSgdFederation federation = new DpFedSgdFederation(spec, device, recipe, split.seed(), stopping.split());
        for (double target : fedSgdEpsilons) {
            double q = fedSgd.samplingRate();
            double sigma = NoiseCalibration.noiseMultiplierFor(target, RunRecord.DP_DELTA, q, recipe.rounds());
            DpFedSgd dp = new DpFedSgd(fedSgd.clipNorm(), sigma, q, split.sites().size());
            long t0 = System.nanoTime();
            List<Double> bagNorms = new ArrayList<>();
            DpFedSgdFederation.Outcome o = federation.run(split.sites(), dp,
                    new FedOpt(FedOpt.Kind.ADAM, fedSgdServerRate, 0.9, 0.99, 1e-3), bagNorms::add);
            try (MilModel model = o.model()) {
                // what the ledgers charge: every round at z' (KLS 2021 Prop. 14), a sampled Gaussian step at q
                double z = o.centralNoiseMultiplier();
                double eps = RdpAccountant.epsilonOfSampledGaussian(q, z, recipe.rounds(), RunRecord.DP_DELTA).epsilon();
                double epsReplace = RdpAccountant.epsilonOfSampledGaussian(q, z / 2, recipe.rounds(),
                        RunRecord.DP_DELTA).epsilon();
                RunRecord r = score(split, architecture, "federated-dp-fedsgd", split.trainingBags(), model, t0,
                        new FederatedFields(recipe.rounds(), split.sites().size(), Double.NaN, sigma,
                                fedSgd.clipNorm(), eps, epsReplace), false);
                double bagNorm = bagNorms.stream().mapToDouble(Double::doubleValue).sorted()
                        .skip(bagNorms.size() / 2).findFirst().orElse(Double.NaN);
                String validation = o.validation().map(v -> String.format(Locale.ROOT, ":validation_auc=%s",
                        v.auc().isPresent() ? String.format(Locale.ROOT, "%.4f", v.auc().getAsDouble()) : "n/a"))
                        .orElse("");
                append(r.withVariant(String.format(Locale.ROOT, "dp_fedsgd:q=%s:rounds=%d:server=fedadam:"
                        + "server_lr=%s:min_noised_sites=%d:target_epsilon=%s:central_noise_multiplier=%.6f:"
                        + "median_bag_gradient_norm=%.4g%s", q, recipe.rounds(), fedSgdServerRate,
                        dp.minNoisedSites(), target, z, bagNorm, validation)));
                progress.printf(Locale.ROOT, "%-12s DP-FedSGD q %s, %d rounds, σ %.4f (z' %.6f) for ε ≤ %s: ε %.3f; "
                        + "median per-bag gradient norm %.4g (C %s)%s%n", "", q, recipe.rounds(), sigma, z, target,
                        eps, bagNorm, fedSgd.clipNorm(), validation.replace(':', ' '));
            }
        }
    }

    /** Federated sites keep their optimiser's state from round to round. */
    public MilBenchmark withCarriedOptimizer(boolean carry) {
        this.carryOptimizer = carry;
        return this;
    }

    private List<String> variants = List.of();
    private LabelNoise labelNoise;

    /**
     * Replaces the federated arm by one FedAvg arm per {@link TrainingVariant} (the recipe with some training
     * choices changed), each recording the held-out AUC after every round; {@code noise} (may be null) is noted
     * in every record, the caller having flipped the labels in the split.
     */
    public MilBenchmark withVariants(List<String> variantSpecs, LabelNoise noise) {
        for (String v : variantSpecs) {
            new TrainingVariant(v).apply(recipe);
        }
        this.variants = List.copyOf(variantSpecs);
        this.labelNoise = noise;
        return this;
    }

    private List<RunRecord> runVariants(BenchSplit split, Architecture architecture, ModelSpec spec) {
        List<RunRecord> out = new ArrayList<>();
        List<Bag> heldout = split.heldout().bags();
        for (String v : variants) {
            long t0 = System.nanoTime();
            List<Double> norms = new ArrayList<>();
            List<Double> curve = new ArrayList<>();
            Simulation simulation = new Simulation(spec, device, new TrainingVariant(v).apply(recipe), split.seed(),
                    heldout);
            try (MilModel model = simulation.federated(split.sites(), new org.fedmil.coordinator.aggregate
                    .FedAvg(), List.of(), Optional.empty(), norms::add, (r, m) -> {
                        MilModel.Scores sc = m.score(heldout);
                        curve.add(BinaryMetrics.of(sc.labels(), sc.probabilities()).auc());
                        progress.printf(Locale.ROOT, "  %s round %d: AUC %s%n", v, r,
                                fixed(curve.get(curve.size() - 1), "%.4f"));
                    })) {
                RunRecord base = score(split, architecture, "federated:" + v, split.trainingBags(), model, t0,
                        federatedFields(split, norms, null), false);
                RunRecord r = new RunRecord(base.dataset(), base.seed(), base.architecture(), base.arm(),
                        base.trainingBags(), base.heldoutBags(), base.auc(), base.aucLower(), base.aucUpper(),
                        base.sensitivity(), base.specificity(), base.localisation(), base.seconds(), base.rounds(),
                        base.sites(), base.medianDeltaNorm(), null, null, null, null, null, null, curve, v,
                        labelNoise == null ? null : labelNoise.toString()).withWarnings(base.warnings()).withFoldOf(base);
                append(r);
                out.add(r);
            }
        }
        return out;
    }

    private List<RunRecord> runStrategies(BenchSplit split, Architecture architecture, Simulation simulation) {
        List<RunRecord> out = new ArrayList<>();
        String attack = attacks.isEmpty() ? null
                : String.join(",", attacks.stream().map(Attack::toString).toList());
        for (String s : strategies) {
            tracedArm = s;
            long t0 = System.nanoTime();
            List<Double> norms = new ArrayList<>();
            List<Double> curve = new ArrayList<>();
            List<Bag> heldout = split.heldout().bags();
            try (MilModel model = simulation.federated(split.sites(), StrategySettings.parse(s).create(), attacks,
                    Optional.empty(), norms::add, (r, m) -> {
                        MilModel.Scores sc = m.score(heldout);
                        curve.add(BinaryMetrics.of(sc.labels(), sc.probabilities()).auc());
                        progress.printf(Locale.ROOT, "  %s%s round %d: AUC %s%n", s,
                                attack == null ? "" : " under attack", r, fixed(curve.get(curve.size() - 1), "%.4f"));
                    })) {
                RunRecord base = score(split, architecture, "federated:" + s + (attack == null ? "" : "|attack"),
                        split.trainingBags(), model, t0, federatedFields(split, norms, null), false);
                RunRecord r = new RunRecord(base.dataset(), base.seed(), base.architecture(), base.arm(),
                        base.trainingBags(), base.heldoutBags(), base.auc(), base.aucLower(), base.aucUpper(),
                        base.sensitivity(), base.specificity(), base.localisation(), base.seconds(), base.rounds(),
                        base.sites(), base.medianDeltaNorm(), null, null, null, null, s, attack, curve,
                        keptValidation(simulation), null).withWarnings(base.warnings()).withFoldOf(base);
                if (stopping.enabled()) {
                    r = r.withStopping(simulation.lastRun().trained(), simulation.lastRun().kept());
                    reportStop(s, simulation, "rounds");
                }
                append(r);
                out.add(r);
            }
        }
        return out;
    }

    /** Trains and scores every arm of {@code architecture} on {@code split}. */
    public List<RunRecord> run(BenchSplit split, Architecture architecture) {
        BagDataset first = split.sites().get(0);
        ModelSpec spec = first.tileFormat()
                .map(f -> ModelSpec.cnn(architecture, f.channels(), f.size(), hiddenDim, attentionDim))
                .orElseGet(() -> new ModelSpec(architecture, first.dim(), hiddenDim, attentionDim));
        Simulation simulation = new Simulation(spec, device, recipe, split.seed(), stopping)
                .withCarriedOptimizer(carryOptimizer);
        startTrace(split, simulation);
        tracedArm = "federated";
        List<RunRecord> out = new ArrayList<>();
        long t0 = System.nanoTime();
        List<Double> norms = new ArrayList<>();
        if (!variants.isEmpty()) {
            out.addAll(runVariants(split, architecture, spec));
        } else if (!strategies.isEmpty()) {
            out.addAll(runStrategies(split, architecture, simulation));
        } else if (!skipPlainFederated) {
            try (MilModel federated = simulation.federated(split.sites(), Optional.empty(), norms::add)) {
                reportStop("federated", simulation, "rounds");
                out.add(score(split, architecture, "federated", split.trainingBags(), federated, t0,
                        federatedFields(split, norms, null), simulation.lastRun()));
            }
        }
        for (double sigma : dpNoises) {
            t0 = System.nanoTime();
            List<Double> dpNorms = new ArrayList<>();
            try (MilModel dp = simulation.federated(split.sites(), Optional.of(new Simulation.Dp(dpClip, sigma)),
                    dpNorms::add)) {
                out.add(score(split, architecture, "federated-dp", split.trainingBags(), dp, t0,
                        federatedFields(split, dpNorms, sigma)));
            }
        }
        runDpSgd(split, architecture, simulation, out);
        runDistributedDp(split, architecture, simulation, out);
        runDpFedSgd(split, architecture, spec);
        if (centralised) {
            tracedArm = "centralised";
            t0 = System.nanoTime();
            try (MilModel c = simulation.centralised(split.sites())) {
                reportStop("centralised", simulation, "epochs");
                out.add(score(split, architecture, "centralised", split.trainingBags(), c, t0, null,
                        simulation.lastRun()));
            }
        }
        if (localOnly) {
            for (int s = 0; s < split.sites().size(); s++) {
                BagDataset site = split.sites().get(s);
                tracedArm = "local-" + (s + 1);
                t0 = System.nanoTime();
                try (MilModel local = simulation.localOnly(site)) {
                    out.add(score(split, architecture, "local:site-" + (s + 1), site.size(), local, t0, null,
                            simulation.lastRun()));
                }
            }
        }
        return out;
    }

    /** Rounds, sites, median pre-clip norm and, for a DP arm, σ, C and ε (q = 1: every site in every round). */
    private record FederatedFields(int rounds, int sites, double medianDeltaNorm, Double sigma, Double clip,
                                   Double epsilon, Double epsilonReplaceOne) {
    }

    private FederatedFields federatedFields(BenchSplit split, List<Double> norms, Double sigma) {
        double[] sorted = norms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length == 0 ? Double.NaN : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        if (sigma == null) {
            return new FederatedFields(recipe.rounds(), split.sites().size(), median, null, null, null, null);
        }
        double eps = RdpAccountant.epsilonOfSampledGaussian(1, sigma, recipe.rounds(), RunRecord.DP_DELTA).epsilon();
        // replace-one adjacency doubles the sensitivity to 2C, which is the same as halving σ: four times the RDP
        double epsReplace = RdpAccountant.epsilonOfSampledGaussian(1, sigma / 2, recipe.rounds(), RunRecord.DP_DELTA)
                .epsilon();
        return new FederatedFields(recipe.rounds(), split.sites().size(), median, sigma, dpClip, eps, epsReplace);
    }

    private RunRecord score(BenchSplit split, Architecture architecture, String arm, int trainingBags,
                            MilModel model, long startNanos, FederatedFields f) {
        return score(split, architecture, arm, trainingBags, model, startNanos, f, true, null);
    }

    /** As {@link #score}, recording how far {@code run} trained when it stopped on validation. */
    private RunRecord score(BenchSplit split, Architecture architecture, String arm, int trainingBags,
                            MilModel model, long startNanos, FederatedFields f, Simulation.Run run) {
        return score(split, architecture, arm, trainingBags, model, startNanos, f, true, run);
    }

    private RunRecord score(BenchSplit split, Architecture architecture, String arm, int trainingBags,
                            MilModel model, long startNanos, FederatedFields f, boolean write) {
        return score(split, architecture, arm, trainingBags, model, startNanos, f, write, null);
    }

    private RunRecord score(BenchSplit split, Architecture architecture, String arm, int trainingBags,
                            MilModel model, long startNanos, FederatedFields f, boolean write, Simulation.Run run) {
        List<Bag> heldout = split.heldout().bags();
        MilModel.Scores scores = model.score(heldout);
        int[] labels = scores.labels();
        float[] probabilities = scores.probabilities();
        BinaryMetrics m = BinaryMetrics.of(labels, probabilities);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(labels, probabilities);
        double localisation = split.instanceLabels().isEmpty() ? Double.NaN
                : LocalisationAuc.of(model, heldout, split.instanceLabels());
        RunRecord record = new RunRecord(split.dataset(), split.seed(), architecture.configName(), arm, trainingBags,
                heldout.size(), m.auc(), ci.lower(), ci.upper(), m.sensitivity(), m.specificity(), localisation,
                (System.nanoTime() - startNanos) / 1e9, f == null ? null : f.rounds(), f == null ? null : f.sites(),
                f == null ? null : f.medianDeltaNorm(), f == null ? null : f.sigma(), f == null ? null : f.clip(),
                f == null ? null : f.epsilon(), f == null ? null : f.epsilonReplaceOne())
                .withWarnings(LearningCheck.scoredSet("held-out set", labels, probabilities, ci, true))
                .withFold(split.fold(), labels, probabilities);
        if (run != null && stopping.enabled()) {
            record = record.withStopping(run.trained(), run.kept());
        }
        if (write) {
            append(record);
        }
        progress.printf(Locale.ROOT, "%-12s seed %-3d%s %-16s %-14s bags %4d  AUC %s [%s, %s]  loc %.3f  %.0f s%n",
                record.dataset(), record.seed(), split.fold() == null ? "" : " fold " + split.fold(),
                record.architecture(), record.arm(), trainingBags,
                fixed(record.auc(), "%.3f"), fixed(record.aucLower(), "%.3f"), fixed(record.aucUpper(), "%.3f"),
                record.localisation(), record.seconds());
        record.warnings().forEach(w -> progress.printf("%-12s %s%n", "", w));
        if (f != null) {
            progress.printf(Locale.ROOT, "%-12s median delta norm before clipping %.4f%s%n", "", f.medianDeltaNorm(),
                    f.sigma() == null ? "" : String.format(Locale.ROOT, "; DP σ %s, C %s, ε %.2f at δ %s "
                            + "(replace-one ε %.2f)", f.sigma(), f.clip(), f.epsilon(), RunRecord.DP_DELTA,
                            f.epsilonReplaceOne()));
        }
        return record;
    }

    /** {@code x} in {@code pattern}, or "n/a" when undefined. */
    static String fixed(double x, String pattern) {
        return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, pattern, x);
    }

    private void append(RunRecord record) {
        if (results == null) {
            return;
        }
        try {
            Path parent = results.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(results, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to results file " + results, e);
        }
    }

    /** Every record of a results file written by earlier runs. */
    public static List<RunRecord> readResults(Path file) {
        List<RunRecord> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, RunRecord.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read results file " + file, e);
        }
        return out;
    }
}
