package org.fedmil.bench.mil;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.DoubleConsumer;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ConcatenatedBags;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.StepRates;
import org.fedmil.mil.train.TrainingOptions;
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

    public Simulation(ModelSpec spec, Device device, Recipe recipe, long seed) {
        this(spec, device, recipe, seed, List.of());
    }

    /** @param heldout the held-out bags whose loss drives a reduce-on-plateau schedule, as at the coordinator */
    public Simulation(ModelSpec spec, Device device, Recipe recipe, long seed, List<org.fedmil.mil.data.Bag> heldout) {
        this.spec = spec;
        this.device = device;
        this.recipe = recipe;
        this.seed = seed;
        this.heldout = heldout;
        if (recipe.schedule().kind() == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU && heldout.isEmpty()) {
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
        for (int s = 0; s < sites.size(); s++) {
            feedback.add(new ErrorFeedback(compression));
        }
        boolean plateau = recipe.schedule().kind() == LearningRateSchedule.Kind.REDUCE_ON_PLATEAU;
        // the held-out loss of every global model so far, round 0 first, as the coordinator's metrics.json holds it
        List<Double> heldoutLosses = new ArrayList<>();
        try {
            TensorSet global = model.weights();
            observer.after(0, model);
            if (plateau) {
                heldoutLosses.add(model.evaluate(heldout).loss());
            }
            for (int round = 1; round <= recipe.rounds(); round++) {
                double roundRate = plateau ? recipe.schedule().plateauRate(recipe.learningRate(), heldoutLosses)
                        : recipe.learningRate();
                StepRates rates = recipe.schedule().forRound(roundRate, round, recipe.rounds());
                strategy.beginRound(model.weightSpecs());
                for (int s = 0; s < sites.size(); s++) {
                    BagDataset site = sites.get(s);
                    model.setWeights(global);
                    long trainingSeed = seed * 1_000_003L + s * 31L + round;
                    trainer.train(model, site.bags(), options(recipe.localEpochs(), site.labelCounts(),
                            trainingSeed).withProximalMu(strategy.configure().proximalMu()).withRates(rates));
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
                    strategy.accept(delta, site.size());
                }
                global = strategy.finish(global);
                model.setWeights(global);
                observer.after(round, model);
                if (plateau) {
                    heldoutLosses.add(model.evaluate(heldout).loss());
                }
            }
            model.setWeights(global);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Site-level DP settings of a federated arm: clip norm C and noise multiplier σ. */
    public record Dp(double clipNorm, double noiseMultiplier) {
    }

    /** One model trained on all sites' bags pooled: the upper bound federation aims at. */
    public MilModel centralised(List<BagDataset> sites) {
        List<List<org.fedmil.mil.data.Bag>> parts = new ArrayList<>();
        long negatives = 0;
        long positives = 0;
        for (BagDataset site : sites) {
            parts.add(site.bags());
            negatives += site.labelCounts().negatives();
            positives += site.labelCounts().positives();
        }
        return alone(new ConcatenatedBags(parts), new LabelCounts(negatives, positives));
    }

    /** One site training by itself, with the same number of passes over its bags as in federation. */
    public MilModel localOnly(BagDataset site) {
        return alone(site.bags(), site.labelCounts());
    }

    private MilModel alone(List<org.fedmil.mil.data.Bag> bags, LabelCounts counts) {
        MilModel model = MilModel.create(spec, device, seed);
        try {
            // the schedule over the same passes: epoch e of E plays round e of E (a plateau schedule has no
            // held-out decisions inside one training, so it stays at the base rate here)
            int epochs = recipe.totalEpochs();
            LearningRateSchedule schedule = recipe.schedule();
            StepRates rates = schedule.kind() != LearningRateSchedule.Kind.COSINE ? null
                    : (step, steps) -> schedule.cosineRate(recipe.learningRate(),
                    (double) step / steps * recipe.rounds(), recipe.rounds());
            trainer.train(model, bags, options(epochs, counts, seed * 1_000_003L + 7).withRates(rates));
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private TrainingOptions options(int epochs, LabelCounts counts, long trainingSeed) {
        return new TrainingOptions(epochs, recipe.learningRate(), recipe.weightDecay(), trainingSeed,
                recipe.loss().forSite(counts), recipe.augmentation()).withOptimizer(recipe.optimizer())
                .withBagsPerStep(recipe.bagsPerStep());
    }
}
