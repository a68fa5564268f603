package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.UpdateBytes;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * One round's aggregate: the only place the round logic touches the aggregation API. It is made when a round opens,
 * takes each accepted update as it arrives (on the event thread), and is applied to the global model once, on the
 * closing thread, after the event thread stopped feeding it.
 */
final class RoundAggregation {

    private final Strategy aggregator;
    private final boolean pretraining;
    private final List<TensorSpec> specs;

    private RoundAggregation(Strategy aggregator, boolean pretraining, List<TensorSpec> specs) {
        this.aggregator = aggregator;
        this.pretraining = pretraining;
        this.specs = specs;
    }

    /**
     * Opens a round: a pretraining round aggregates encoder deltas with {@code pretrainingStrategy}, others the whole
     * model with {@code strategy}. Whatever an unfinished earlier attempt had folded in is dropped.
     */
    static RoundAggregation open(boolean pretraining, List<TensorSpec> specs, Strategy strategy,
                                 Strategy pretrainingStrategy) {
        Strategy used = pretraining ? pretrainingStrategy : strategy;
        used.beginRound(pretraining ? EncoderPart.specs(specs) : specs);
        return new RoundAggregation(used, pretraining, specs);
    }

    /**
     * Folds one accepted update from its float32 wire bytes, read a piece at a time: a streaming aggregator holds no
     * whole copy of it.
     */
    void acceptWire(List<TensorSpec> tensors, UpdateBytes float32Bytes, long trainingBags) {
        try {
            aggregator.acceptWire(tensors, float32Bytes, trainingBags);
        } catch (Strategy.Refused full) {
            throw UpdateRefusal.AGGREGATOR_FULL.because(full.getMessage());
        }
    }

    /**
     * Folds a secure round's unmasked bag-weighted mean as one update of the round's total bag count (FedAvg, FedProx
     * and FedOpt need only that).
     */
    void acceptMean(float[] mean, long totalBags) {
        List<NamedTensor> tensors = new ArrayList<>(specs.size());
        int at = 0;
        for (TensorSpec spec : specs) {
            int n = Math.toIntExact(spec.elementCount());
            tensors.add(new NamedTensor(spec.name(), spec.shape(), Arrays.copyOfRange(mean, at, at + n)));
            at += n;
        }
        aggregator.accept(new TensorSet(tensors), totalBags);
    }

    /** The next global weights; a pretraining round changes the encoder alone. */
    TensorSet applyTo(TensorSet global) {
        return pretraining ? EncoderPart.replace(global, aggregator.finish(EncoderPart.of(global)))
                : aggregator.finish(global);
    }
}
