package org.fedmil.coordinator.round;

import org.fedmil.mil.train.PretrainingOptions;

/**
 * The self-supervised pretraining rounds that come before the supervised ones: rounds 1..{@code rounds} of the
 * federation send PRETRAIN tasks, in which every site trains the instance encoder contrastively on its tiles and
 * uploads the encoder's delta alone; FedAvg, weighted by bags, folds those into the global encoder. Pooling and
 * classifier are left as initialised until the first supervised round.
 *
 * @param rounds        pretraining rounds, at least 1 (a federation without pretraining has no plan)
 * @param epochs        passes over each site's tiles per round
 * @param batchSize     tiles per mini-batch
 * @param temperature   NT-Xent's τ
 * @param projectionDim width of the site-local projection head's output
 * @param colourJitter  colour jitter of the two views
 * @param maxShift      largest shift of a view, in pixels
 * @param maxTiles      tiles per site and epoch at most (0: all)
 */
public record PretrainingPlan(int rounds, int epochs, double learningRate, double weightDecay, int batchSize,
                              double temperature, int projectionDim, double colourJitter, int maxShift,
                              int maxTiles) {

    public PretrainingPlan {
        if (rounds < 1) {
            throw new IllegalArgumentException("a pretraining plan has at least 1 round, got " + rounds
                    + "; leave the plan out for no pretraining");
        }
        // the same checks a site makes, made before any site is asked (the parameters: fields are not set yet)
        new PretrainingOptions(epochs, learningRate, weightDecay, batchSize, temperature, projectionDim, colourJitter,
                maxShift, maxTiles, 0);
    }

    /** A site's options for one round, with the seed it derives. */
    public PretrainingOptions options(long seed) {
        return new PretrainingOptions(epochs, learningRate, weightDecay, batchSize, temperature, projectionDim,
                colourJitter, maxShift, maxTiles, seed);
    }
}
