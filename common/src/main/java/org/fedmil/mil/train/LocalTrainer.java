package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Trains a {@link MilModel} in place on one site's bags: one bag per step (bags differ in size, so they are not
 * batched), Adam, binary cross-entropy on the bag logit.
 *
 * <p>Every call starts a fresh optimizer, because a site starts each round from the new global model and
 * moments from the previous round would describe other weights. The engine allows one gradient collector per
 * process at a time, so calls from several threads are serialised on one process-wide lock.
 */
public final class LocalTrainer {

    private static final Logger log = LoggerFactory.getLogger(LocalTrainer.class);

    private final Loss loss = Loss.sigmoidBinaryCrossEntropyLoss();

    public TrainingResult train(MilModel model, List<Bag> bags, TrainingOptions options) {
        synchronized (ENGINE_GRADIENT_LOCK) {
            return trainExclusively(model, bags, options);
        }
    }

    /** PyTorch's gradient collector is process-wide: two trainings in one JVM must take turns. */
    private static final Object ENGINE_GRADIENT_LOCK = new Object();

    private TrainingResult trainExclusively(MilModel model, List<Bag> bags, TrainingOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bags, "bags");
        Objects.requireNonNull(options, "options");
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("no bags to train on; a site needs at least one labelled bag");
        }
        for (Bag bag : bags) {
            if (bag.dim() != model.spec().inputDim()) {
                throw new IllegalArgumentException("bag '" + bag.id() + "' has " + bag.dim()
                        + " features per instance but the model expects input_dim=" + model.spec().inputDim());
            }
        }
        long start = System.nanoTime();
        Random shuffle = new Random(options.seed());
        List<Bag> order = new ArrayList<>(bags);
        double epochLoss = Double.NaN;
        int steps = 0;
        try (NDManager session = model.manager().newSubManager()) {
            Adam adam = new Adam(model.parameterArrays(), (float) options.learningRate(),
                    (float) options.weightDecay(), session);
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                Collections.shuffle(order, shuffle);
                double sum = 0;
                for (Bag bag : order) {
                    sum += step(model, bag, adam, session);
                    steps++;
                }
                epochLoss = sum / order.size();
                log.debug("epoch {}/{}: mean loss {}", epoch, options.epochs(), epochLoss);
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        TrainingResult result = new TrainingResult(epochLoss, bags.size(), steps, elapsed);
        log.info("trained {} bags × {} epochs in {} ms ({} bags/s), last-epoch loss {}", bags.size(),
                options.epochs(), elapsed.toMillis(), String.format("%.0f", result.bagsPerSecond()),
                String.format("%.4f", epochLoss));
        return result;
    }

    /** One forward/backward/update on one bag; returns the bag's loss before the update. */
    private double step(MilModel model, Bag bag, Adam adam, NDManager session) {
        try (NDManager scratch = session.newSubManager()) {
            float value;
            try (GradientCollector collector = scratch.getEngine().newGradientCollector()) {
                NDArray instances = model.instances(bag, scratch);
                NDArray logit = model.forward(instances, true).logit();
                NDArray label = scratch.create(new float[] {bag.label()});
                NDArray bagLoss = loss.evaluate(new NDList(label), new NDList(logit));
                collector.backward(bagLoss);
                value = bagLoss.getFloat();
            }
            if (!Float.isFinite(value)) {
                throw new IllegalStateException("loss became " + value + " on bag '" + bag.id()
                        + "'; lower the learning rate or check the features for NaN/Inf");
            }
            // outside the collector: the engine records no graph for the in-place update
            adam.update();
            return value;
        }
    }
}
