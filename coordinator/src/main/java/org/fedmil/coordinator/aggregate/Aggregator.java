package org.fedmil.coordinator.aggregate;

import org.fedmil.tensor.TensorSet;

/**
 * One round's aggregation, fed one update at a time. A new instance is made for every round (by
 * {@link Strategy#beginRound}). Streaming aggregators keep O(model) memory however many sites report; the robust
 * ones ({@link BufferedAggregator}) must hold every update of the round and bound how many they take.
 */
public interface Aggregator {

    /**
     * Folds in one site's delta, weighted by the number of bags it trained on (robust aggregators ignore the
     * weight). Throws {@link Refused} if this aggregator cannot take the update (e.g. its buffer is full).
     */
    void accept(TensorSet delta, long trainingBags);

    /** Number of updates folded in so far. */
    int updates();

    /** The round's aggregated delta so far, before any server step. */
    Aggregate aggregate();

    /** The next global model: the current one moved by the round's server step. Leaves {@code global} untouched. */
    TensorSet apply(TensorSet global);

    /** An update this aggregator cannot take, whatever its content; the round refuses it and goes on. */
    final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }
}
