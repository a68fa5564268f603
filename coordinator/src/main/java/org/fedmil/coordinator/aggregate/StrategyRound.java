package org.fedmil.coordinator.aggregate;

import org.fedmil.tensor.TensorSet;

/** A round of a strategy with a server step: folds updates into {@code fold}, then applies the strategy's step. */
final class StrategyRound implements Aggregator {

    private final Strategy strategy;
    private final Aggregator fold;

    StrategyRound(Strategy strategy, Aggregator fold) {
        this.strategy = strategy;
        this.fold = fold;
    }

    @Override
    public void accept(TensorSet delta, long trainingBags) {
        fold.accept(delta, trainingBags);
    }

    @Override
    public void acceptWire(java.util.List<org.fedmil.tensor.TensorSpec> specs, byte[] bytes, long trainingBags) {
        fold.acceptWire(specs, bytes, trainingBags);
    }

    @Override
    public int updates() {
        return fold.updates();
    }

    @Override
    public Aggregate aggregate() {
        return fold.aggregate();
    }

    @Override
    public TensorSet apply(TensorSet global) {
        return strategy.finishRound(global, fold.aggregate());
    }
}
