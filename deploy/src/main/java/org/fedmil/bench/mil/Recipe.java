package org.fedmil.bench.mil;

import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;

/**
 * How every arm of a comparison trains, so that federated, centralised and local-only runs get the same budget:
 * the federated model sees {@code rounds × localEpochs} passes over each site's bags, and so do the centralised and
 * local-only models.
 */
public record Recipe(int rounds, int localEpochs, double learningRate, double weightDecay, LossConfig loss,
                     BagAugmentation augmentation) {

    public Recipe {
        if (rounds < 1 || localEpochs < 1) {
            throw new IllegalArgumentException("rounds and local epochs must be ≥ 1, got " + rounds + " and "
                    + localEpochs);
        }
    }

    /** Epochs a single-party model gets: the same passes over its data as each site gets in federation. */
    public int totalEpochs() {
        return rounds * localEpochs;
    }
}
