package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Future;

/**
 * Trains a {@link MilModel} in place on one site's bags: the configured optimiser (Adam by default), the
 * configured {@link BagLoss} on the bag logit, one bag per step unless {@link TrainingOptions#bagsPerStep()} asks
 * for more. Bags are read one at a time, the next one on a background thread ({@link BagPrefetcher}), so a site
 * need not hold its bags in memory.
 *
 * <p>Mini-batches of B bags are gradient accumulation, not padding: each bag of the batch runs forward and
 * backward on its own with its loss scaled by 1/B, the engine adds the gradients up, and one optimiser step
 * follows the B-th bag, so the step sees the mean gradient of the batch. Bags differ in size (6 to 699 tiles on
 * crc-nuclei), and pad-and-mask would run the tile encoder on padding up to the largest bag of each batch (up to
 * ~100× the real work for a small bag next to a large one), hold B bags' activations at once, and need a mask in
 * every pooling's softmax/max/mean; accumulation does exactly the real work, holds one bag's activations, and
 * leaves the models untouched. What it gives up is parallelism across bags inside one engine call, which two CPU
 * cores would not use anyway. The last batch of an epoch may be smaller; it is averaged over its own size.
 *
 * <p>Every call starts a fresh optimizer, because a site starts each round from the new global model and
 * moments from the previous round would describe other weights. The engine allows one gradient collector per
 * process at a time, so calls from several threads are serialised on one process-wide lock.
 *
 * <p>FedProx ({@link TrainingOptions#proximalMu()} μ &gt; 0): the gradient of μ/2‖w − w₀‖², μ(w − w₀) with w₀ the
 * weights training started from, is added to every parameter's gradient just before each optimiser step, rather
 * than the term being added to the loss: it is the same gradient, costs one subtraction per parameter instead of
 * a second graph over all weights, and the reported loss stays the data loss, comparable across strategies.
 * With μ = 0 no copy is made and nothing is added: training is bit for bit what it was without FedProx.
 */
public final class LocalTrainer {

    private static final Logger log = LoggerFactory.getLogger(LocalTrainer.class);

    public TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options) {
        return train(model, bags, options, TrainingProgress.NONE);
    }

    /** As {@link #train(MilModel, List, TrainingOptions)}, telling {@code progress} of every bag trained. */
    public TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options, TrainingProgress progress) {
        return train(model, bags, options, progress, EpochListener.NONE);
    }

    /**
     * As above, asking {@code epochs} after every epoch whether to go on (early stopping): the optimiser's state
     * carries over from epoch to epoch as without it, and the schedule runs over {@code options.epochs()}, the most.
     */
    public TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options, TrainingProgress progress,
                                EpochListener epochs) {
        return train(model, bags, options, progress, epochs, null);
    }

    /**
     * As above, the optimiser continuing from {@code memory}'s state and leaving its own there when training
     * completes (null: a fresh optimiser, nothing kept).
     */
    public TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options, TrainingProgress progress,
                                EpochListener epochs, OptimizerMemory memory) {
        return train(model, bags, options, progress, epochs, memory, true);
    }

    /**
     * As {@link #train(MilModel, List, TrainingOptions, TrainingProgress)}, without the copy of the starting
     * weights that is kept to put them back when a bag fails late. For a caller that sets the model's weights
     * before every use anyway (a site, from the global model of the round) that copy was one more model in memory
     * all through training for nothing; after a failure here the model holds whatever training had reached.
     */
    public TrainingResult trainWithoutRollback(MilModel model, List<Bag> bags, TrainingOptions options,
                                               TrainingProgress progress) {
        return train(model, bags, options, progress, EpochListener.NONE, null, false);
    }

    private TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options, TrainingProgress progress,
                                 EpochListener epochs, OptimizerMemory memory, boolean rollBack) {
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(epochs, "epochs");
        synchronized (ENGINE_GRADIENT_LOCK) {
            try {
                return trainExclusively(model, bags, options, progress, epochs, memory, rollBack);
            } finally {
                progress.finished();
            }
        }
    }

    /**
     * PyTorch's gradient collector is process-wide: two trainings in one JVM must take turns (the contrastive
     * trainer takes it too).
     */
    static final Object ENGINE_GRADIENT_LOCK = new Object();

    private TrainingResult trainExclusively(MilModel model, List<Bag> bags, TrainingOptions options,
                                            TrainingProgress progress, EpochListener epochListener,
                                            OptimizerMemory memory, boolean rollBack) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bags, "bags");
        Objects.requireNonNull(options, "options");
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("no bags to train on; a site needs at least one labelled bag");
        }
        long start = System.nanoTime();
        Random shuffle = new Random(options.seed());
        // indices, not bags: a tile dataset's list reads each bag from disk when asked and must not be copied
        int[] order = new int[bags.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double epochLoss = Double.NaN;
        int steps = 0;
        // bags are checked as they are read, so a bad one may come late: put the weights back if it does
        TensorSet before = rollBack ? model.weights() : null;
        boolean completed = false;
        try (NDManager session = model.manager().newSubManager();
             BagPrefetcher prefetcher = new BagPrefetcher(bags, options.augmentation(), options.seed())) {
            Optimizer optimizer = options.optimizer().create(model.parameterArrays(), (float) options.weightDecay(),
                    (float) options.proximalMu(), session);
            if (memory != null) {
                optimizer.restore(memory);
            }
            int perStep = options.bagsPerStep();
            int stepsPerEpoch = (order.length + perStep - 1) / perStep;
            int totalSteps = options.epochs() * stepsPerEpoch;
            progress.started(options.epochs(), order.length);
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                shuffle(order, shuffle);
                double sum = 0;
                Future<Bag> next = prefetcher.request(epoch, order[0]);
                for (int k = 0; k < order.length; k++) {
                    Bag bag = BagPrefetcher.await(next);
                    if (k + 1 < order.length) {
                        next = prefetcher.request(epoch, order[k + 1]);
                    }
                    int batchStart = k / perStep * perStep;
                    int batchSize = Math.min(perStep, order.length - batchStart);
                    sum += backward(model, bag, options.loss(), batchSize, session);
                    if (k == batchStart + batchSize - 1) {
                        // outside any collector: the engine records no graph for the in-place update
                        optimizer.update((float) options.rateOf(steps, totalSteps));
                        steps++;
                    }
                    progress.stepDone(new TrainingProgress.Step(epoch, options.epochs(), k + 1, order.length,
                            sum / (k + 1)));
                }
                epochLoss = sum / order.length;
                log.debug("epoch {}/{}: mean loss {}", epoch, options.epochs(), epochLoss);
                if (!epochListener.afterEpoch(epoch, options.epochs(), epochLoss)) {
                    break;
                }
            }
            if (memory != null) {
                optimizer.save(memory);
            }
            completed = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training was interrupted", e);
        } finally {
            if (!completed && before != null) {
                model.setWeights(before);
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        TrainingResult result = new TrainingResult(epochLoss, bags.size(), steps, elapsed);
        log.info("trained {} bags × {} epochs in {} ms ({} bags/s), last-epoch loss {}", bags.size(),
                options.epochs(), elapsed.toMillis(), String.format("%.0f", result.bagsPerSecond()),
                String.format("%.4f", epochLoss));
        return result;
    }

    /** Fisher–Yates, as Collections.shuffle does for a list. */
    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Forward and backward on one bag of a batch of {@code batchSize}: its gradient, scaled by 1/batchSize, is
     * added to the parameters' gradients; returns the bag's unscaled loss.
     */
    static double backward(MilModel model, Bag bag, BagLoss loss, int batchSize, NDManager session) {
        try (NDManager scratch = session.newSubManager()) {
            float value;
            try (GradientCollector collector = scratch.getEngine().newGradientCollector()) {
                NDArray instances = model.instances(bag, scratch);
                NDArray logit = model.forward(instances, true).logit();
                NDArray bagLoss = loss.evaluate(logit, bag.label());
                // one bag per step multiplies by nothing, so it trains bit for bit as before mini-batches
                collector.backward(batchSize == 1 ? bagLoss : bagLoss.div(batchSize));
                value = bagLoss.getFloat();
            }
            if (!Float.isFinite(value)) {
                throw new IllegalStateException("loss became " + value + " on bag '" + bag.id()
                        + "'; lower the learning rate or check the features for NaN/Inf");
            }
            return value;
        }
    }
}
