package org.fedmil.coordinator.aggregate;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * A strategy linear in the updates: the round folds every update into its bag-weighted mean as it arrives
 * ({@link WeightedMean}, O(model) memory, the received bytes folded in place), and the server step sees only that
 * mean, read a piece at a time from the upload's spool file. Secure aggregation can feed it, as it hands the coordinator the same mean. A subclass gives the step.
 */
abstract class MeanStrategy implements Strategy {

    private WeightedMean round;

    /** The next global model from the current one and the round's mean; called once per round by {@link #finish}. */
    protected abstract TensorSet step(TensorSet global, WeightedMean mean);

    /** {@link Capability#LINEAR}; a subclass with a server state adds {@link Capability#STATEFUL}. */
    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.LINEAR);
    }

    @Override
    public final void beginRound(List<TensorSpec> specs) {
        round = new WeightedMean(specs);
    }

    @Override
    public final void accept(TensorSet delta, long trainingBags) {
        open().accept(delta, trainingBags);
    }

    @Override
    public final void acceptWire(List<TensorSpec> specs, byte[] bytes, long trainingBags) {
        open().acceptWire(specs, bytes, trainingBags);
    }

    @Override
    public final void acceptWire(List<TensorSpec> specs, UpdateBytes bytes, long trainingBags) {
        open().acceptWire(specs, bytes, trainingBags);
    }

    @Override
    public final int updates() {
        return round == null ? 0 : round.updates();
    }

    @Override
    public final TensorSet finish(TensorSet global) {
        TensorSet next = step(global, open());
        round = null;
        return next;
    }

    private WeightedMean open() {
        if (round == null) {
            throw new IllegalStateException("strategy " + name() + " has no open round: beginRound comes first");
        }
        return round;
    }
}
