package org.fedmil.bench.mil;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.DoubleConsumer;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.data.ValidationSplit.Parts;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.data.ConcatenatedBags;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.EpochListener;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.DpSgd;
import org.fedmil.mil.train.DpSgdTrainer;
import org.fedmil.mil.train.GradientNoise;
import org.fedmil.mil.train.OptimizerMemory;
import org.fedmil.mil.train.StepRates;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.mil.train.ValidatedTraining;
import org.fedmil.privacy.GaussianMechanism;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.ErrorFeedback;
import org.fedmil.tensor.TensorSet;

/**
 * The three arms of a federated-learning comparison, run in one process with the production pieces: the site's
 * {@link LocalTrainer} (same loss, class weights from each party's own counts, augmentation) and the coordinator's
 * streaming {@link FedAvg}. The network path is not simulated here; the end-to-end tests cover it.
 *
 * <p>Every arm starts from the same seeded initial model, as a federation does.
 */
public final class Simulation {

    private final ModelSpec spec;
    private final Device device;
    private final Recipe recipe;
    private final long seed;
    private final LocalTrainer trainer = new LocalTrainer();

    /** The coordinator's held-out bags, scored after every round when the schedule is reduce-on-plateau. */
    private final List<org.fedmil.mil.data.Bag> heldout;

    private final Stopping stopping;

    /**
     * Validation bags kept back at every site and early stopping on them, as the product does by default: a site
     * keeps {@code split}'s share of its bags back, the federation stops once the bag-weighted validation loss of
     * the global model has not improved for {@code patience} rounds (never before {@code minRounds}) and keeps the
     * model with the lowest; the single-party arms keep back the same bags and stop the same way over epochs.
     * {@link #OFF}: every bag trains for the whole budget, and the last model is kept.
     */
    public record Stopping(ValidationSplit split, int patience, int minRounds,
                           org.fedmil.mil.eval.ValidationCriterion criterion) {
        public static final Stopping OFF = new Stopping(ValidationSplit.NONE, 0, 0);

        /** Choosing by the lowest validation loss. */
        public Stopping(ValidationSplit split, int patience, int minRounds) {
            this(split, patience, minRounds, org.fedmil.mil.eval.ValidationCriterion.LOSS);
        }

        public boolean enabled() {
            return split.enabled();
        }
    }

    public Simulation(ModelSpec spec, Device device, Recipe recipe, long seed) {
        this(spec, device, recipe, seed, List.of());
    }

    /** With validation bags and early stopping. */
    public Simulation(ModelSpec spec, Device device, Recipe recipe, long seed, Stopping stopping) {
        this(spec, device, recipe, seed, List.of(), stopping);
    }

    /** @param heldout the held-out bags whose loss drives a reduce-on-plateau schedule, as at the coordinator */
    public Simulation(ModelSpec spec, Device device, Recipe recipe, long seed, List<org.fedmil.mil.data.Bag> heldout) {
        this(spec, device, recipe, seed, heldout, Stopping.OFF);
    }

    private Simulation(ModelSpec spec, Device device, Recipe recipe, long seed, List<Bag> heldout,
                       Stopping stopping) {
        this.stopping = stopping;
        this.spec = spec;
        this.device = device;
        this.recipe = recipe;
        this.seed = seed;
        this.heldout = heldout;
        if (recipe.schedule().kind() == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU && heldout.isEmpty()
                && !stopping.enabled()) {
            throw new IllegalArgumentException("reduce_on_plateau needs the held-out bags whose loss it watches");
        }
    }

    /** FedAvg weighted by bag count over {@code rounds}; returns the final global model. The caller closes it. */
    public MilModel federated(List<BagDataset> sites) {
        return federated(sites, Optional.empty(), norm -> { });
    }

    /**
     * As {@link #federated(List)}, but each site's delta first goes through the Gaussian mechanism with clip norm C
     * and noise multiplier σ when {@code dp} is given (site-level local DP: every site noises its own release, as a
     * site agent would). The noise is seeded from the split seed, site and round, so a run can be repeated; that is
     * for measuring utility only, a site agent draws from a DRBG.
     *
     * @param deltaNorms receives every site's delta norm before clipping, to choose C from
     */
    public MilModel federated(List<BagDataset> sites, Optional<Dp> dp, DoubleConsumer deltaNorms) {
        return federated(sites, new FedAvg(), List.of(), dp, deltaNorms, (r, m) -> { });
    }

    /**
     * Told, for a diagnosis ({@code bench mil --trace}), every round's (or epoch's) model with its numbers: the
     * training loss of the round that made it (bag-weighted over the sites; NaN for round 0), each site's own, the
     * validation aggregated as the coordinator does and each site's own. Per-site numbers never leave a site in
     * the product; the bench prints them because it plays every party.
     */
    public interface Trace {
        Trace NONE = (round, model, trainingLoss, siteLosses, validation, siteValidation) -> { };

        void after(int round, MilModel model, double trainingLoss, List<Double> siteTrainingLosses,
                   ValidationMetrics validation, List<ValidationMetrics> siteValidation);
    }

    private Trace trace = Trace.NONE;

    /** Reports every validated round (federated) or epoch (single party) to {@code t}. */
    public Simulation withTrace(Trace t) {
        this.trace = t;
        return this;
    }

    /** Told the global model after every round (and the initial model as round 0). */
    public interface RoundObserver {
        void after(int round, MilModel global);
    }

    /**
     * The federated arm with any coordinator {@link Strategy} (its aggregator and server step, and FedProx's μ
     * passed to every site's trainer), optionally with some sites {@link Attack attacking}: an attacker trains
     * as the others do, then sends a forged delta in place of its own, with its true bag count.
     *
     * @param deltaNorms receives every honest delta's norm (before DP clipping or any attack)
     */
    public MilModel federated(List<BagDataset> sites, Strategy strategy, List<Attack> attacks, Optional<Dp> dp,
                              DoubleConsumer deltaNorms, RoundObserver observer) {
        return federated(sites, strategy, attacks, dp, deltaNorms, observer, DeltaEncoding.FLOAT32);
    }

    /**
     * As above, with every site's delta sent in {@code compression}: encoded at the site with its own
     * {@link ErrorFeedback} (after DP, as a site agent does) and decoded before aggregation, as the coordinator
     * does. FLOAT32 is bit for bit the uncompressed federation.
     */
    public MilModel federated(List<BagDataset> sites, Strategy strategy, List<Attack> attacks, Optional<Dp> dp,
                              DoubleConsumer deltaNorms, RoundObserver observer, DeltaEncoding compression) {
        MilModel model = MilModel.create(spec, device, seed);
        List<ErrorFeedback> feedback = new java.util.ArrayList<>();
        List<Parts> parts = new ArrayList<>();
        List<OptimizerMemory> memories = new ArrayList<>();
        for (BagDataset site : sites) {
            feedback.add(new ErrorFeedback(compression));
            parts.add(parts(site));
            memories.add(carryOptimizer ? new OptimizerMemory() : null);
        }
        LabelCounts federation = new LabelCounts(0, 0);
        for (Parts p : parts) {
            federation = federation.plus(p.trainingCounts());
        }
        boolean plateau = recipe.schedule().kind() == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU;
        boolean validating = parts.stream().anyMatch(p -> !p.validation().isEmpty());
        // a DP-SGD arm keeps its last model: choosing a round on the sites' unnoised validation scores would
        // release something about those bags that the accountant does not charge
        boolean selecting = validating && dpSgd == null && distributedDp == null;
        lastValidation = null;
        keptValidation = null;
        // the loss that drives the plateau schedule, round 0 first: the sites' validation when they keep some, as
        // the coordinator does; the held-out set only in the old validation-free protocol
        List<Double> plateauLosses = new ArrayList<>();
        Keeper keeper = new Keeper(stopping.criterion());
        List<Double> siteLosses = new ArrayList<>();
        try {
            TensorSet global = model.weights();
            observer.after(0, model);
            for (int round = 1; round <= recipe.rounds(); round++) {
                if (selecting) {
                    ValidationMetrics v = validation(model, parts);
                    traceRound(round - 1, model, parts, siteLosses, v);
                    plateauLosses.add(v.loss());
                    keeper.offer(round - 1, global, v);
                    if (round - 1 >= stopping.minRounds() && round - 1 - keeper.round >= stopping.patience()
                            && stopping.criterion().learned(keeper.best)) {
                        break;
                    }
                } else if (plateau) {
                    plateauLosses.add(model.evaluate(heldout).loss());
                }
                double roundRate = plateau ? recipe.schedule().plateauRate(recipe.learningRate(), plateauLosses)
                        : recipe.learningRate();
                StepRates rates = recipe.schedule().forRound(roundRate, round, recipe.rounds());
                strategy.beginRound(model.weightSpecs());
                DistributedDpSum secureSum = distributedDp == null ? null : new DistributedDpSum(
                        distributedDp.clipNorm(), distributedDp.noiseMultiplier(), sites.size(),
                        parts.stream().mapToLong(p -> p.training().size()).max().orElse(1), global.specs(), round);
                siteLosses.clear();
                for (int s = 0; s < sites.size(); s++) {
                    Parts site = parts.get(s);
                    model.setWeights(global);
                    long trainingSeed = seed * 1_000_003L + s * 31L + round;
                    TrainingOptions local = options(recipe.localEpochs(), site.trainingCounts(), federation,
                            trainingSeed).withProximalMu(strategy.configure().proximalMu()).withRates(rates);
                    if (dpSgd != null) {
                        dpSgdNorms.add(dpSgdTrainer.train(model, site.training(), local, dpSgd,
                                GradientNoise.seeded(trainingSeed * 7919L + 29)).medianBagGradientNorm());
                    } else {
                        siteLosses.add(trainer.train(model, site.training(), local, TrainingProgress.NONE,
                                EpochListener.NONE, memories.get(s)).meanLoss());
                    }
                    TensorSet delta = model.weights().minus(global);
                    deltaNorms.accept(GaussianMechanism.l2Norm(delta));
                    if (dp.isPresent()) {
                        delta = new GaussianMechanism(dp.get().clipNorm(), dp.get().noiseMultiplier(),
                                new Random(trainingSeed * 7919L + 17)).apply(delta).noised();
                    }
                    for (Attack a : attacks) {
                        if (a.site() == s + 1) {
                            delta = a.forge(delta, new Random(trainingSeed * 104_729L + 5));
                        }
                    }
                    if (compression != DeltaEncoding.FLOAT32) {
                        delta = DeltaCodec.decode(delta.specs(), compression, feedback.get(s).encode(delta));
                    }
                    if (secureSum != null) {
                        secureSum.add(delta, site.training().size(), new Random(trainingSeed * 7919L + 23));
                    } else {
                        strategy.accept(delta, site.training().size());
                    }
                }
                if (secureSum != null) {
                    ddpCentralMultipliers.add(secureSum.centralNoiseMultiplier());
                    global = global.plus(secureSum.mean());
                } else {
                    global = strategy.finish(global);
                }
                model.setWeights(global);
                observer.after(round, model);
                keeper.last = round;
            }
            if (validating) {
                // the last model is validated too, as the sites' final evaluation does at the coordinator
                model.setWeights(global);
                lastValidation = validation(model, parts);
                if (!selecting || keeper.last == recipe.rounds()) { // a stop has traced this model already
                    traceRound(keeper.last, model, parts, siteLosses, lastValidation);
                }
                if (selecting) {
                    keeper.offer(keeper.last, global, lastValidation);
                    global = keeper.weights;
                }
            }
            model.setWeights(global);
            lastRun = new Run(keeper.last, selecting ? keeper.round : keeper.last);
            keptValidation = selecting ? keeper.best : lastValidation;
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private final DpSgdTrainer dpSgdTrainer = new DpSgdTrainer();
    private DpSgd dpSgd;
    private final List<Double> dpSgdNorms = new ArrayList<>();

    /**
     * The FedAvg arm with every site training under patient-level DP-SGD ({@link DpSgdTrainer}: per-bag clipping,
     * Poisson lots, Gaussian noise per step) and sending its delta as it is. The noise and the lots are seeded from
     * the split seed, site and round, for measuring utility only; a site agent draws from a DRBG.
     *
     * @param bagGradientNorms receives each site's median per-bag gradient norm before clipping, every round
     */
    public MilModel federatedDpSgd(List<BagDataset> sites, DpSgd dp, DoubleConsumer deltaNorms,
                                   DoubleConsumer bagGradientNorms) {
        dpSgd = dp;
        dpSgdNorms.clear();
        try {
            return federated(sites, new FedAvg(), List.of(), Optional.empty(), deltaNorms, (r, m) -> { });
        } finally {
            dpSgd = null;
            dpSgdNorms.forEach(bagGradientNorms::accept);
        }
    }

    private ValidationMetrics lastValidation;
    private ValidationMetrics keptValidation;

    /**
     * The sites' validation scores, aggregated as the coordinator does, of the model the last federated arm kept
     * (its last model when it did not choose one); empty without validation bags. What a recipe is compared on.
     */
    public Optional<ValidationMetrics> keptValidation() {
        return Optional.ofNullable(keptValidation);
    }

    /**
     * The sites' validation scores of the last federated arm's final model, aggregated as the coordinator does;
     * empty when the sites kept no validation bags. What a recipe is chosen on, never the held-out set.
     */
    public Optional<ValidationMetrics> lastValidation() {
        return Optional.ofNullable(lastValidation);
    }

    private DistributedDp distributedDp;
    private final List<Double> ddpCentralMultipliers = new ArrayList<>();

    /** Distributed DP under secure aggregation: clip norm C of a site's delta, central noise multiplier σ. */
    public record DistributedDp(double clipNorm, double noiseMultiplier) {
    }

    /**
     * The FedAvg arm under distributed DP ({@link DistributedDpSum}): every site clips its delta and adds its share
     * of discrete Gaussian noise to its fixed-point encoding, so that only the sum carries the central noise
     * σ·C (weighted units). Keeps its last model. The shares are seeded, for measuring utility only.
     *
     * @param centralMultipliers receives every round's central noise multiplier z', what the ledger charges
     */
    public MilModel federatedDistributedDp(List<BagDataset> sites, DistributedDp dp, DoubleConsumer deltaNorms,
                                           DoubleConsumer centralMultipliers) {
        distributedDp = dp;
        ddpCentralMultipliers.clear();
        try {
            return federated(sites, new FedAvg(), List.of(), Optional.empty(), deltaNorms, (r, m) -> { });
        } finally {
            distributedDp = null;
            ddpCentralMultipliers.forEach(centralMultipliers::accept);
        }
    }

    /** How far the last arm trained: rounds (or epochs) run, and which one's model it kept. */
    public record Run(int trained, int kept) {
    }

    private Run lastRun = new Run(0, 0);

    private boolean carryOptimizer;

    /** Sites keep their optimiser's state from round to round ({@link OptimizerMemory}) instead of a fresh one. */
    public Simulation withCarriedOptimizer(boolean carry) {
        this.carryOptimizer = carry;
        return this;
    }

    /** The rounds or epochs the last arm of this simulation ran, and the one whose model it kept. */
    public Run lastRun() {
        return lastRun;
    }

    /** The best model so far by the stopping's validation criterion. */
    private static final class Keeper {
        private final org.fedmil.mil.eval.ValidationCriterion criterion;
        private TensorSet weights;
        private ValidationMetrics best;
        private int round;
        private int last;

        Keeper(org.fedmil.mil.eval.ValidationCriterion criterion) {
            this.criterion = criterion;
        }

        void offer(int r, TensorSet w, ValidationMetrics v) {
            if (criterion.better(v, best)) {
                best = v;
                weights = w;
                round = r;
            }
        }
    }

    private void traceRound(int round, MilModel model, List<Parts> parts, List<Double> siteLosses,
                            ValidationMetrics federated) {
        if (trace == Trace.NONE) {
            return;
        }
        double sum = 0;
        long bags = 0;
        for (int s = 0; s < siteLosses.size(); s++) {
            sum += siteLosses.get(s) * parts.get(s).training().size();
            bags += parts.get(s).training().size();
        }
        List<ValidationMetrics> own = new ArrayList<>();
        for (Parts p : parts) {
            own.add(p.validation().isEmpty() ? null : ValidationMetrics.of(model, p.validation()));
        }
        trace.after(round, model, bags == 0 ? Double.NaN : sum / bags, List.copyOf(siteLosses), federated, own);
    }

    private Parts parts(BagDataset site) {
        return stopping.split().split(site);
    }

    /** The model as it is now on every site's validation bags, aggregated by the coordinator's own code. */
    private static ValidationMetrics validation(MilModel model, List<Parts> parts) {
        org.fedmil.coordinator.round.FederatedValidation.Sum sum =
                new org.fedmil.coordinator.round.FederatedValidation.Sum();
        for (Parts p : parts) {
            if (!p.validation().isEmpty()) {
                sum.add(Optional.of(ValidationMetrics.of(model, p.validation())));
            }
        }
        return sum.of(0, 0).orElseThrow().metrics();
    }

    /** Site-level DP settings of a federated arm: clip norm C and noise multiplier σ. */
    public record Dp(double clipNorm, double noiseMultiplier) {
    }

    /** One model trained on all sites' bags pooled: the upper bound federation aims at. */
    public MilModel centralised(List<BagDataset> sites) {
        List<List<Bag>> training = new ArrayList<>();
        List<List<Bag>> validation = new ArrayList<>();
        long negatives = 0;
        long positives = 0;
        for (BagDataset site : sites) {
            Parts p = parts(site);
            training.add(p.training());
            validation.add(p.validation());
            negatives += p.trainingCounts().negatives();
            positives += p.trainingCounts().positives();
        }
        return alone(new ConcatenatedBags(training), new ConcatenatedBags(validation),
                new LabelCounts(negatives, positives));
    }

    /** One site training by itself, with the same number of passes over its bags as in federation. */
    public MilModel localOnly(BagDataset site) {
        Parts p = parts(site);
        return alone(p.training(), p.validation(), p.trainingCounts());
    }

    private MilModel alone(List<Bag> bags, List<Bag> validation, LabelCounts counts) {
        MilModel model = MilModel.create(spec, device, seed);
        try {
            // the schedule over the same passes: epoch e of E plays round e of E (a plateau schedule has no
            // held-out decisions inside one training, so it stays at the base rate here)
            int epochs = recipe.totalEpochs();
            LearningRateSchedule schedule = recipe.schedule();
            StepRates rates = schedule.kind() != LearningRateSchedule.Kind.COSINE ? null
                    : (step, steps) -> schedule.cosineRate(recipe.learningRate(),
                    (double) step / steps * recipe.rounds(), recipe.rounds());
            TrainingOptions options = options(epochs, counts, seed * 1_000_003L + 7).withRates(rates);
            if (validation.isEmpty()) {
                trainer.train(model, bags, options);
                lastRun = new Run(epochs, epochs);
                return model;
            }
            // a round of federation is localEpochs passes: patience and the earliest stop are counted alike
            ValidatedTraining stopper = new ValidatedTraining(model, validation,
                    stopping.patience() * recipe.localEpochs(), stopping.minRounds() * recipe.localEpochs(),
                    e -> trace.after(e.epoch(), model, e.trainLoss(), List.of(e.trainLoss()), e.validation(),
                            List.of(e.validation())), stopping.criterion());
            trainer.train(model, bags, options, TrainingProgress.NONE, stopper);
            lastRun = new Run(stopper.lastEpoch(), stopper.restoreBest());
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private TrainingOptions options(int epochs, LabelCounts counts, long trainingSeed) {
        return options(epochs, counts, counts, trainingSeed);
    }

    /** A site's training options in a federation whose training bags hold {@code federation}. */
    private TrainingOptions options(int epochs, LabelCounts counts, LabelCounts federation, long trainingSeed) {
        return new TrainingOptions(epochs, recipe.learningRate(), recipe.weightDecay(), trainingSeed,
                recipe.loss().forSite(counts, federation), recipe.augmentation()).withOptimizer(recipe.optimizer())
                .withBagsPerStep(recipe.bagsPerStep());
    }
}
