package org.fedmil.coordinator.aggregate;

import org.fedmil.tensor.TensorSet;

/**
 * One round's aggregation, fed one update at a time so that memory stays O(model) however many sites report.
 * A new instance is made for every round.
 */
public interface Aggregator {

    /** Folds in one site's delta, weighted by the number of bags it trained on. */
    void accept(TensorSet delta, long trainingBags);

    /** Number of updates folded in so far. */
    int updates();

    /** The next global model: the current one moved by the aggregated delta. Leaves {@code global} untouched. */
    TensorSet apply(TensorSet global);
}
