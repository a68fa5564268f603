package org.fedmil.coordinator.aggregate;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * How a federation turns a round's site updates into the next global model, modelled on Flower's strategies
 * (configure a round, aggregate, finish) but streaming: updates are folded in one at a time as they arrive.
 *
 * <ol>
 *   <li>{@link #proximalMu()}: what every site is told with its train task (FedProx's μ; 0 for plain local
 *       training).</li>
 *   <li>{@link #beginRound}: a fresh {@link Aggregator} for the round, into which each accepted update is folded.</li>
 *   <li>{@link #finishRound}: the server step from the round's {@link Aggregate} to the next global model. The
 *       aggregator's {@link Aggregator#apply} calls it, so the round logic needs nothing else.</li>
 *   <li>{@link #state()} / {@link #restore}: a server optimiser's state (FedAdam's moments), persisted with every
 *       completed round so that a restarted coordinator takes it up.</li>
 * </ol>
 *
 * <p>Implementations: {@link FedAvgStrategy} (fedavg, fedprox), {@link FedOpt} (fedadam, fedyogi),
 * {@link RobustStrategy} (median, trimmed_mean), and {@link ClippedStrategy} around any of them (clip_norm).
 * {@link Strategies#create} builds one from the coordinator's configuration. Not thread-safe: the round logic
 * calls {@code finishRound} from its one round-closing thread.
 */
public interface Strategy {

    /** The configuration name: fedavg, fedprox, fedadam, fedyogi, median or trimmed_mean. */
    String name();

    /** Every parameter that changes the arithmetic, with its configuration key, for the round log. */
    Map<String, Object> parameters();

    /** FedProx's proximal weight μ sent to every site with its train task; 0 means the site trains as always. */
    default double proximalMu() {
        return 0;
    }

    /** Whether every update is folded in as it arrives (O(model) memory) rather than buffered (O(K·model)). */
    default boolean streaming() {
        return true;
    }

    /** A new aggregator for one round of a model of these tensors. */
    Aggregator beginRound(List<TensorSpec> specs);

    /** The server step: the next global model from the current one and the round's aggregate. */
    TensorSet finishRound(TensorSet global, Aggregate aggregate);

    /** Whether this strategy keeps a server state across rounds, which a restarted coordinator must take up. */
    default boolean stateful() {
        return false;
    }

    /** The server optimiser's state after the last finished round, if this strategy keeps one. */
    default Optional<StrategyState> state() {
        return Optional.empty();
    }

    /** Takes up a state saved by {@link #state()} of the same strategy (a restarted coordinator). */
    default void restore(StrategyState state) {
        throw new IllegalArgumentException("strategy '" + name() + "' keeps no state, but a state of '"
                + state.strategy() + "' was offered");
    }
}
