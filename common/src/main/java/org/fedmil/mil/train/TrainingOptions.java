package org.fedmil.mil.train;

import java.util.Objects;

/**
 * How a site trains the global model on its bags in one round.
 *
 * @param epochs       passes over the bags
 * @param learningRate Adam step size
 * @param weightDecay  L2 penalty added to the gradient (0 for none)
 * @param seed         seeds the per-epoch shuffle and the augmentation, so a round is reproducible
 * @param loss         the bag loss with this site's class weights
 * @param augmentation applied to each bag as it is trained on, never to evaluation
 */
public record TrainingOptions(int epochs, double learningRate, double weightDecay, long seed, BagLoss loss,
                              BagAugmentation augmentation) {

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
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(augmentation, "augmentation");
    }

    /** Unweighted cross-entropy, no augmentation. */
    public TrainingOptions(int epochs, double learningRate, double weightDecay, long seed) {
        this(epochs, learningRate, weightDecay, seed, BagLoss.CROSS_ENTROPY, BagAugmentation.NONE);
    }

    public TrainingOptions withLoss(BagLoss newLoss) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, newLoss, augmentation);
    }

    public TrainingOptions withAugmentation(BagAugmentation newAugmentation) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, newAugmentation);
    }
}
