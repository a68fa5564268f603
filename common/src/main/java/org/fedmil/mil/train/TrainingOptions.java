package org.fedmil.mil.train;

/**
 * How a site trains the global model on its bags in one round.
 *
 * @param epochs       passes over the bags
 * @param learningRate Adam step size
 * @param weightDecay  L2 penalty added to the gradient (0 for none)
 * @param seed         seeds the per-epoch shuffle, so a round is reproducible
 */
public record TrainingOptions(int epochs, double learningRate, double weightDecay, long seed) {

    public TrainingOptions {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be ≥ 0 and finite, got " + weightDecay);
        }
    }
}
