package org.fedmil.mil.train;

/**
 * Told by {@link LocalTrainer} after every bag, so that whoever runs a long local training can show how far it is.
 * Called on the training thread: an implementation must be quick and must not throw.
 */
public interface TrainingProgress {

    /** Shows nothing. */
    TrainingProgress NONE = step -> {
    };

    /** A training of {@code epochs} passes over {@code bags} bags begins now. */
    default void started(int epochs, int bags) {
    }

    void stepDone(Step step);

    /** The training ended (completed or failed); a display may finish its line. */
    default void finished() {
    }

    /**
     * @param epoch       1-based epoch of the bag just trained
     * @param epochs      epochs in this training
     * @param bag         bags done in this epoch, 1..bags
     * @param bags        bags per epoch
     * @param runningLoss mean loss over this epoch's bags so far
     */
    record Step(int epoch, int epochs, int bag, int bags, double runningLoss) {

        /** Bags trained so far over all epochs. */
        public long done() {
            return (long) (epoch - 1) * bags + bag;
        }

        /** Bags to train over all epochs. */
        public long total() {
            return (long) epochs * bags;
        }
    }
}
