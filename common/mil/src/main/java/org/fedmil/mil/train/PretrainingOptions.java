package org.fedmil.mil.train;

/**
 * How a site pretrains the instance encoder on its tiles in one round, contrastively (see {@link ContrastiveTrainer}).
 *
 * @param epochs        passes over the site's tiles (or over {@code maxTiles} of them)
 * @param learningRate  Adam step size
 * @param weightDecay   L2 penalty added to the gradient (0 for none)
 * @param batchSize     tiles per mini-batch, drawn across bags; each brings 2 views, and every other tile of the
 *                      batch is a negative
 * @param temperature   NT-Xent's τ
 * @param projectionDim output width of the projection head
 * @param colourJitter  colour jitter strength of the views, 0 for none
 * @param maxShift      largest shift of a view in pixels, 0 for none
 * @param maxTiles      tiles drawn per epoch at most, a random subset of all; 0 for every tile
 * @param seed          seeds the tile order, the views and the projection head
 */
public record PretrainingOptions(int epochs, double learningRate, double weightDecay, int batchSize,
                                 double temperature, int projectionDim, double colourJitter, int maxShift,
                                 int maxTiles, long seed) {

    public PretrainingOptions {
        if (epochs < 1) {
            throw new IllegalArgumentException("pretraining epochs must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("pretraining learning rate must be positive and finite, got "
                    + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("pretraining weight decay must be ≥ 0 and finite, got " + weightDecay);
        }
        if (batchSize < 2) {
            throw new IllegalArgumentException("pretraining batch size must be at least 2 tiles (a tile needs "
                    + "another tile as its negative), got " + batchSize);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("pretraining temperature must be positive and finite, got "
                    + temperature);
        }
        if (projectionDim < 1) {
            throw new IllegalArgumentException("projection dim must be at least 1, got " + projectionDim);
        }
        if (maxTiles < 0) {
            throw new IllegalArgumentException("max tiles must be ≥ 0 (0: every tile), got " + maxTiles);
        }
    }
}
