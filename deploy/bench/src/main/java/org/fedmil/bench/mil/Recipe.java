package org.fedmil.bench.mil;

import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;

/**
 * How every arm of a comparison trains, so that federated, centralised and local-only runs get the same budget:
 * the federated model sees {@code rounds × localEpochs} passes over each site's bags, and so do the centralised and
 * local-only models.
 *
 * @param optimizer   Adam, AdamW or SGD
 * @param schedule    the learning rate over rounds (federated arms; a single-party model takes the same schedule
 *                    with its epochs in the role of rounds)
 * @param bagsPerStep bags averaged into one optimiser step (gradient accumulation)
 */
public record Recipe(int rounds, int localEpochs, double learningRate, double weightDecay, LossConfig loss,
                     BagAugmentation augmentation, OptimizerConfig optimizer, LearningRateSchedule schedule,
                     int bagsPerStep) {

    /** Adam at a constant rate, one bag per step: the recipe of every table before the weak-supervision toolbox. */
    public Recipe(int rounds, int localEpochs, double learningRate, double weightDecay, LossConfig loss,
                  BagAugmentation augmentation) {
        this(rounds, localEpochs, learningRate, weightDecay, loss, augmentation, OptimizerConfig.ADAM,
                LearningRateSchedule.CONSTANT, 1);
    }

    public Recipe {
        if (rounds < 1 || localEpochs < 1) {
            throw new IllegalArgumentException("rounds and local epochs must be ≥ 1, got " + rounds + " and "
                    + localEpochs);
        }
        if (bagsPerStep < 1) {
            throw new IllegalArgumentException("bags per step must be ≥ 1, got " + bagsPerStep);
        }
        schedule.problemFor(rounds, learningRate).ifPresent(p -> {
            throw new IllegalArgumentException(p);
        });
    }

    /** Epochs a single-party model gets: the same passes over its data as each site gets in federation. */
    public int totalEpochs() {
        return rounds * localEpochs;
    }
}
