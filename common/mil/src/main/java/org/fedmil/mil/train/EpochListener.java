package org.fedmil.mil.train;

/**
 * Told by {@link LocalTrainer} after each epoch, outside any gradient recording, so it may score the model; it
 * decides whether training goes on. Called on the training thread.
 */
@FunctionalInterface
public interface EpochListener {

    /** Trains every epoch asked for. */
    EpochListener NONE = (epoch, epochs, trainLoss) -> true;

    /**
     * @param epoch     1-based epoch just finished
     * @param epochs    the most epochs this training runs
     * @param trainLoss mean training loss over the epoch's bags
     * @return false to stop training after this epoch
     */
    boolean afterEpoch(int epoch, int epochs, double trainLoss);
}
