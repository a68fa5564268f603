package org.fedmil.mil.train;

import java.util.Objects;

/**
 * How a site trains the global model on its bags in one round.
 *
 * @param epochs       passes over the bags
 * @param learningRate the optimiser's step size (the base rate of a schedule)
 * @param weightDecay  L2 penalty added to the gradient (0 for none)
 * @param seed         seeds the per-epoch shuffle and the augmentation, so a round is reproducible
 * @param loss         the bag loss with this site's class weights
 * @param augmentation applied to each bag as it is trained on, never to evaluation
 * @param proximalMu   FedProx's μ (Li et al. 2020): the local objective gets μ/2‖w − w_start‖², w_start the weights
 *                     training started from (the global model); 0 trains exactly as without the term
 * @param optimizer    Adam (the default), AdamW or SGD with momentum
 * @param bagsPerStep  bags whose gradients are averaged into one optimiser step (gradient accumulation); 1 for
 *                     one bag per step
 * @param rates        the learning rate of each step; {@code learningRate} throughout when null
 */
public record TrainingOptions(int epochs, double learningRate, double weightDecay, long seed, BagLoss loss,
                              BagAugmentation augmentation, double proximalMu, OptimizerConfig optimizer,
                              int bagsPerStep, StepRates rates) {

    /** Adam, one bag per step, the learning rate constant. */
    public TrainingOptions(int epochs, double learningRate, double weightDecay, long seed, BagLoss loss,
                           BagAugmentation augmentation, double proximalMu) {
        this(epochs, learningRate, weightDecay, seed, loss, augmentation, proximalMu, OptimizerConfig.ADAM, 1, null);
    }

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
        Objects.requireNonNull(optimizer, "optimizer");
        if (bagsPerStep < 1) {
            throw new IllegalArgumentException("bags per step must be at least 1, got " + bagsPerStep);
        }
    }

    /** The learning rate of update {@code step} (0-based) of {@code steps}. */
    public double rateOf(int step, int steps) {
        return rates == null ? learningRate : rates.rate(step, steps);
    }

    /** Unweighted cross-entropy, no augmentation. */
    public TrainingOptions(int epochs, double learningRate, double weightDecay, long seed) {
        this(epochs, learningRate, weightDecay, seed, BagLoss.CROSS_ENTROPY, BagAugmentation.NONE);
    }

    public TrainingOptions withLoss(BagLoss newLoss) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, newLoss, augmentation, proximalMu,
                optimizer, bagsPerStep, rates);
    }

    public TrainingOptions withAugmentation(BagAugmentation newAugmentation) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, newAugmentation, proximalMu,
                optimizer, bagsPerStep, rates);
    }

    public TrainingOptions withProximalMu(double mu) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, augmentation, mu, optimizer,
                bagsPerStep, rates);
    }

    public TrainingOptions withOptimizer(OptimizerConfig newOptimizer) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, augmentation, proximalMu,
                newOptimizer, bagsPerStep, rates);
    }

    public TrainingOptions withBagsPerStep(int bags) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, augmentation, proximalMu,
                optimizer, bags, rates);
    }

    public TrainingOptions withRates(StepRates newRates) {
        return new TrainingOptions(epochs, learningRate, weightDecay, seed, loss, augmentation, proximalMu,
                optimizer, bagsPerStep, newRates);
    }
}
