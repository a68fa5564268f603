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
 * @param proximalMu   FedProx's μ (Li et al. 2020): the local objective gets μ/2‖w − w_start‖², w_start the weights
 *                     training started from (the global model); 0 trains exactly as without the term
 */
public record TrainingOptions(int epochs, double learningRate, double weightDecay, long seed, BagLoss loss,
                              BagAugmentation augmentation, double proximalMu) {

    /** Without a proximal term. */
    public TrainingOptions(int epochs, double learningRate, double weightDecay, long seed, BagLoss loss,
                           BagAugmentation augmentation) {
        this(epochs, learningRate, weightDecay, seed, loss, augmentation, 0);
    }

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
        if (!(proximalMu >= 0) || Double.isInfinite(proximalMu)) {
            throw new IllegalArgumentException("proximal mu must be ≥ 0 and finite, got " + proximalMu);
        }
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(augmentation, "augmentation");
    }

    /** Unweighted cross-entropy, no augmentation. */
    public TrainingOptions(int epochs, double learningRate, double weightDecay, long seed) {
        this(epochs, learningRate, weightDecay, seed, BagLoss.CROSS_ENTROPY, BagAugmentation.NONE);
    }

    public TrainingOptions withLoss(BagLoss newLoss) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, newLoss, augmentation, proximalMu);
    }

    public TrainingOptions withAugmentation(BagAugmentation newAugmentation) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, newAugmentation, proximalMu);
    }

    public TrainingOptions withProximalMu(double mu) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, augmentation, mu);
    }
}
