package org.fedmil.coordinator.aggregate;

import java.util.List;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

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

    /**
     * As {@link #accept}, from the update's wire form (float32 little-endian, tensors concatenated in
     * {@code specs} order) as the coordinator received it. Streaming aggregators override it to fold the bytes
     * without decoding them into a second copy of the update; the default decodes.
     */
    default void acceptWire(List<TensorSpec> specs, byte[] bytes, long trainingBags) {
        accept(TensorCodec.decode(specs, bytes), trainingBags);
    }

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
