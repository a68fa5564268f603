package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Future;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.ContrastiveViews;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Self-supervised pretraining of a model's instance encoder on a site's tiles (SimCLR, Chen et al. 2020): every
 * mini-batch of tiles is seen as two random {@link ContrastiveViews views}, both go through the encoder and a
 * {@link ProjectionHead projection head}, and {@link NtXentLoss NT-Xent} pulls each tile's two views together and
 * pushes the other tiles of the batch away. Bag labels are never read, so labelled and unlabelled bags serve alike.
 *
 * <p>Only the encoder's weights change; pooling and classifier are left exactly as they were. The head is made
 * afresh (from the seed) for each call and dropped after it.
 *
 * <p>Mini-batches mix tiles of many bags: bags are read in a shuffled order into a buffer of at least
 * {@value #BUFFER_BATCHES} batches' worth of tiles, which is shuffled and cut into batches; a batch of tiles from
 * one bag alone would make its negatives look alike. Only the buffer is in memory, never the whole site.
 */
public final class ContrastiveTrainer {

    private static final Logger log = LoggerFactory.getLogger(ContrastiveTrainer.class);

    /** Batches' worth of tiles gathered before shuffling and cutting. */
    static final int BUFFER_BATCHES = 16;

    /**
     * Pretrains {@code model}'s encoder on the tiles of {@code bags}. If anything fails midway, the weights are put
     * back as they were.
     *
     * @throws IllegalArgumentException if the model does not read tiles of the views' format, or there are no bags
     */
    public PretrainingResult train(MilModel model, List<Bag> bags, ContrastiveViews views,
                                   PretrainingOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bags, "bags");
        Objects.requireNonNull(views, "views");
        Objects.requireNonNull(options, "options");
        if (!model.spec().readsTiles()) {
            throw new IllegalArgumentException("contrastive pretraining needs an encoder over image tiles (encoder "
                    + "cnn); " + model.spec() + " reads feature vectors, which have no flips or colours to vary");
        }
        if (!model.spec().tileFormat().orElseThrow().equals(views.format())) {
            throw new IllegalArgumentException("the views are made for tiles of " + views.format()
                    + " but the model reads " + model.spec().tileFormat().orElseThrow());
        }
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("no bags to pretrain on; a site needs at least one bag of tiles");
        }
        synchronized (LocalTrainer.ENGINE_GRADIENT_LOCK) {
            return trainExclusively(model, bags, views, options);
        }
    }

    private PretrainingResult trainExclusively(MilModel model, List<Bag> bags, ContrastiveViews views,
                                               PretrainingOptions options) {
        long start = System.nanoTime();
        Random rng = new Random(options.seed());
        NtXentLoss loss = new NtXentLoss(options.temperature());
        int dim = model.spec().inputDim();
        int batch = options.batchSize();
        TensorSet before = model.weights();
        boolean completed = false;
        double epochLoss = Double.NaN;
        int steps = 0;
        long tilesPerEpoch = 0;
        try (NDManager session = model.manager().newSubManager();
             BagPrefetcher prefetcher = new BagPrefetcher(bags, BagAugmentation.NONE, options.seed())) {
            ProjectionHead head = new ProjectionHead(model.spec().hiddenDim(), options.projectionDim(),
                    options.seed(), session);
            Map<String, NDArray> trained = new LinkedHashMap<>(model.encoderParameterArrays());
            trained.putAll(head.parameters());
            Adam adam = new Adam(trained, (float) options.weightDecay(), session);
            List<Integer> order = new ArrayList<>(bags.size());
            for (int i = 0; i < bags.size(); i++) {
                order.add(i);
            }
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                Collections.shuffle(order, rng);
                double sum = 0;
                int batches = 0;
                long drawn = 0;
                List<float[]> buffer = new ArrayList<>();
                Future<Bag> next = prefetcher.request(epoch, order.get(0));
                for (int k = 0; k < order.size(); k++) {
                    Bag bag = BagPrefetcher.await(next);
                    if (k + 1 < order.size()) {
                        next = prefetcher.request(epoch, order.get(k + 1));
                    }
                    for (int t = 0; t < bag.instances(); t++) {
                        float[] tile = new float[dim];
                        System.arraycopy(bag.features(), t * dim, tile, 0, dim);
                        buffer.add(tile);
                    }
                    boolean last = k + 1 == order.size();
                    if (buffer.size() >= BUFFER_BATCHES * batch || last) {
                        Collections.shuffle(buffer, rng);
                        if (options.maxTiles() > 0 && drawn + buffer.size() > options.maxTiles()) {
                            // a random subset: the buffer is shuffled, so its head is as random as any part
                            buffer = new ArrayList<>(buffer.subList(0, (int) (options.maxTiles() - drawn)));
                            last = true;
                        }
                        // at the end of the epoch a short batch still counts, if it has a negative for each tile
                        int usable = last ? buffer.size() : buffer.size() / batch * batch;
                        for (int from = 0; from + 1 < usable; from += batch) {
                            int n = Math.min(batch, usable - from);
                            if (n < 2) {
                                break;
                            }
                            sum += step(model, head, loss, adam, (float) options.learningRate(), views,
                                    buffer.subList(from, from + n), rng, session);
                            batches++;
                            steps++;
                            drawn += n;
                        }
                        buffer = new ArrayList<>(buffer.subList(Math.min(usable, buffer.size()), buffer.size()));
                        if (last) {
                            break;
                        }
                    }
                }
                if (batches == 0) {
                    throw new IllegalArgumentException("the " + bags.size() + " bag(s) hold fewer than 2 tiles; "
                            + "contrastive pretraining needs at least 2 tiles (each is the other's negative)");
                }
                epochLoss = sum / batches;
                tilesPerEpoch = drawn;
                log.debug("pretraining epoch {}/{}: {} tiles, mean NT-Xent {}", epoch, options.epochs(), drawn,
                        epochLoss);
            }
            completed = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("pretraining was interrupted", e);
        } finally {
            if (!completed) {
                model.setWeights(before);
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        log.info("pretrained the encoder on {} tiles × {} epochs ({} steps) in {} ms, last-epoch NT-Xent {}",
                tilesPerEpoch, options.epochs(), steps, elapsed.toMillis(), String.format("%.4f", epochLoss));
        return new PretrainingResult(epochLoss, bags.size(), tilesPerEpoch, steps, elapsed);
    }

    /** One forward/backward/update on one batch of tiles; returns the batch's loss before the update. */
    private static double step(MilModel model, ProjectionHead head, NtXentLoss loss, Adam adam, float learningRate,
                               ContrastiveViews views, List<float[]> tiles, Random rng, NDManager session) {
        int n = tiles.size();
        int dim = tiles.get(0).length;
        float[] flat = new float[n * dim];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tiles.get(i), 0, flat, i * dim, dim);
        }
        float[] first = views.view(flat, n, rng);
        float[] second = views.view(flat, n, rng);
        try (NDManager scratch = session.newSubManager()) {
            float value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray z1 = head.forward(model.embed(scratch.create(first, new Shape(n, dim)), true));
                NDArray z2 = head.forward(model.embed(scratch.create(second, new Shape(n, dim)), true));
                NDArray batchLoss = loss.evaluate(z1, z2);
                collector.backward(batchLoss);
                value = batchLoss.getFloat();
            }
            if (!Float.isFinite(value)) {
                throw new IllegalStateException("NT-Xent loss became " + value + " in pretraining; lower the "
                        + "pretraining learning rate or check the tiles");
            }
            adam.update(learningRate);
            return value;
        }
    }
}
