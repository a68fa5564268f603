package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Future;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local training under {@link DpSgd}: the per-example gradients DP-SGD clips are had the simplest honest way, one
 * forward and backward pass per bag (a bag is one example; the ordinary trainer runs one per bag anyway), each
 * bag's gradient read out, its global L2 norm over all parameters taken, scaled to at most C, rounded to the
 * integer grid of {@link GradientGrid} and added to a running sum of integers. After the lot, exact discrete
 * Gaussian noise is added to the integer sum, which is turned back into gradient units, divided by the expected lot
 * size, written into the parameters' gradients, and the configured optimiser steps. A step whose Poisson sample is
 * empty still adds the noise and steps: skipping it would reveal that no bag was drawn.
 *
 * <p>What is private is every bag of {@code bags}: the training loss, learning rates and the optimiser's state are
 * functions of the noised gradients only. The class weights of the loss are not (they come from label counts);
 * docs/privacy.md says so.
 */
public final class DpSgdTrainer {

    private static final Logger log = LoggerFactory.getLogger(DpSgdTrainer.class);

    /**
     * What a DP-SGD training did: the usual result, the steps taken (each one sampled-Gaussian release at
     * {@code dp}'s q and σ, to be charged to the privacy ledger), and the per-bag gradient norms before clipping.
     */
    public record Result(TrainingResult training, DpSgd dp, int steps, double medianBagGradientNorm,
                         double clippedFraction) {
    }

    /**
     * Trains {@code model} in place for {@code options.epochs()} × {@link DpSgd#stepsPerEpoch()} steps with the
     * optimiser, learning rates, loss, augmentation, weight decay and proximal term of {@code options} (its
     * {@code bagsPerStep} is replaced by the Poisson lots).
     */
    public Result train(MilModel model, List<Bag> bags, TrainingOptions options, DpSgd dp, GradientNoise noise) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bags, "bags");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(dp, "dp");
        Objects.requireNonNull(noise, "noise");
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("no bags to train on; a site needs at least one labelled bag");
        }
        synchronized (LocalTrainer.ENGINE_GRADIENT_LOCK) {
            return trainExclusively(model, bags, options, dp, noise);
        }
    }

    private Result trainExclusively(MilModel model, List<Bag> bags, TrainingOptions options, DpSgd dp,
                                    GradientNoise noise) {
        long start = System.nanoTime();
        List<NDArray> weights = new ArrayList<>(model.parameterArrays().values());
        TensorSet before = model.weights();
        boolean completed = false;
        int totalSteps = dp.steps(options.epochs());
        double expectedLot = dp.samplingRate() * bags.size();
        List<Double> norms = new ArrayList<>();
        int clipped = 0;
        double lossSum = 0;
        int lossCount = 0;
        try (NDManager session = model.manager().newSubManager();
             BagPrefetcher prefetcher = new BagPrefetcher(bags, options.augmentation(), options.seed())) {
            Optimizer optimizer = options.optimizer().create(model.parameterArrays(), (float) options.weightDecay(),
                    (float) options.proximalMu(), session);
            materialiseGradients(model, bags.get(0), options.loss(), session);
            zeroGradients(weights);
            long[][] sum = new long[weights.size()][];
            long[][] scratch = new long[weights.size()][];
            long dim = 0;
            for (int p = 0; p < scratch.length; p++) {
                scratch[p] = new long[Math.toIntExact(weights.get(p).size())];
                dim += scratch[p].length;
            }
            GradientGrid grid = GradientGrid.of(dp, dim);
            for (int step = 0; step < totalSteps; step++) {
                for (int p = 0; p < sum.length; p++) {
                    sum[p] = new long[scratch[p].length];
                }
                for (int index : lot(bags.size(), dp.samplingRate(), noise)) {
                    Bag bag = BagPrefetcher.await(prefetcher.request(step, index));
                    lossSum += LocalTrainer.backward(model, bag, options.loss(), 1, session);
                    lossCount++;
                    double norm = addClipped(weights, sum, scratch, dp.clipNorm(), grid, noise);
                    norms.add(norm);
                    if (norm > dp.clipNorm()) {
                        clipped++;
                    }
                }
                for (int p = 0; p < sum.length; p++) {
                    noise.addDiscreteGaussian(sum[p], grid.variance());
                    setGradient(weights.get(p), grid.toValues(sum[p]), (float) (1 / expectedLot), session);
                }
                optimizer.update((float) options.rateOf(step, totalSteps));
            }
            completed = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training was interrupted", e);
        } finally {
            if (!completed) {
                model.setWeights(before);
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        double meanLoss = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        double median = median(norms);
        log.info("DP-SGD: {} steps over {} bags (q {}, sigma {}, C {}) in {} ms; {} bag gradients, median norm {}, "
                        + "{} clipped", totalSteps, bags.size(), dp.samplingRate(), dp.noiseMultiplier(),
                dp.clipNorm(), elapsed.toMillis(), norms.size(), String.format("%.4g", median), clipped);
        return new Result(new TrainingResult(meanLoss, bags.size(), totalSteps, elapsed), dp, totalSteps, median,
                norms.isEmpty() ? 0 : (double) clipped / norms.size());
    }

    /** This step's Poisson sample: each bag independently with probability q. */
    static int[] lot(int bags, double q, GradientNoise noise) {
        int[] picked = new int[bags];
        int n = 0;
        for (int i = 0; i < bags; i++) {
            if (noise.sampled(q)) {
                picked[n++] = i;
            }
        }
        return Arrays.copyOf(picked, n);
    }

    /**
     * Reads the one bag's gradient out of the parameters (clearing them for the next bag), scales it to global
     * norm at most C and adds it to {@code sum} on {@code grid}; returns the norm before clipping.
     */
    static double addClipped(List<NDArray> weights, long[][] sum, long[][] scratch, double clipNorm,
                             GradientGrid grid, GradientNoise noise) {
        float[][] grads = new float[weights.size()][];
        double squares = 0;
        for (int p = 0; p < grads.length; p++) {
            try (NDArray gradient = weights.get(p).getGradient()) {
                grads[p] = gradient.toFloatArray();
                gradient.subi(gradient);
            }
            for (float g : grads[p]) {
                squares += (double) g * g;
            }
        }
        double norm = Math.sqrt(squares);
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("a bag's gradient holds NaN or Inf; lower the learning rate or check the "
                    + "features");
        }
        double scale = norm > clipNorm ? clipNorm / norm : 1;
        grid.addRounded(grads, scale, sum, scratch, noise);
        return norm;
    }

    /** The parameter's gradient becomes {@code values}·{@code factor}, for the optimiser to read. */
    private static void setGradient(NDArray weight, float[] values, float factor, NDManager session) {
        try (NDArray gradient = weight.getGradient(); NDManager scratch = session.newSubManager()) {
            NDArray update = scratch.create(values, gradient.getShape()).muli(factor);
            gradient.subi(gradient).addi(update);
        }
    }

    /**
     * The engine creates a parameter's gradient tensor at its first backward pass; until then getGradient hands
     * out a detached zero tensor and a gradient written there is lost. A backward of zero times one bag's loss
     * creates them with nothing in them (a step with an empty lot must still apply its noise).
     */
    static void materialiseGradients(MilModel model, Bag bag, BagLoss loss, NDManager session) {
        try (NDManager scratch = session.newSubManager();
             GradientCollector collector = scratch.getEngine().newGradientCollector()) {
            NDArray logit = model.forward(model.instances(bag, scratch), true).logit();
            collector.backward(loss.evaluate(logit, bag.label()).mul(0));
        }
    }

    static void zeroGradients(List<NDArray> weights) {
        for (NDArray w : weights) {
            try (NDArray gradient = w.getGradient()) {
                gradient.subi(gradient);
            }
        }
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
