package org.fedmil.coordinator.aggregate;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * How a federation turns a round's site updates into the next global model, modelled on Flower's strategies
 * (configure, aggregate, evaluate) but streaming: updates are folded in one at a time as they arrive, so the
 * coordinator never holds a round's updates unless the strategy itself must ({@link Capability#INDIVIDUAL_UPDATES}).
 * The round logic needs this type only:
 *
 * <ol>
 *   <li>{@link #configure()}: what every site is told with its train task (FedProx's μ).</li>
 *   <li>{@link #beginRound}: opens a round of a model of these tensors, dropping whatever an unfinished earlier
 *       attempt had folded in.</li>
 *   <li>{@link #acceptWire} / {@link #accept}: folds in one site's update.</li>
 *   <li>{@link #finish}: the next global model from the current one: the round's aggregate and the server step.
 *       Every strategy is finished the same way, whether or not it keeps a server state.</li>
 *   <li>{@link #save} / {@link #restore}: the server optimiser's state (FedAdam's moments, FedAvgM's velocity),
 *       which the coordinator persists with every completed round so that a restarted coordinator takes it up.</li>
 * </ol>
 *
 * <p>What a strategy can be combined with is declared by its {@link #capabilities()}, never looked up by name.
 * Strategies are built from the configuration by {@link StrategySettings#create()} through the registry
 * {@link Strategies}; {@link ClippedStrategy} wraps any of them. Not thread-safe: the round logic calls a strategy
 * from one thread at a time.
 */
public interface Strategy {

    /** The configuration name (strategy.name). */
    String name();

    /** Every parameter that changes the arithmetic, with its configuration key, for the round log. */
    Map<String, Object> parameters();

    /** What this strategy is: what it may be combined with, and whether it keeps a state across rounds. */
    Set<Capability> capabilities();

    /**
     * What every site is told with its train task. The same in every round: the federation plan carries one
     * train task for the whole federation.
     */
    default TrainInstructions configure() {
        return TrainInstructions.PLAIN;
    }

    /** Opens a round of a model of these tensors; updates folded in by an unfinished earlier attempt are dropped. */
    void beginRound(List<TensorSpec> specs);

    /**
     * Folds in one site's delta, weighted by the number of bags it trained on (robust strategies ignore the
     * weight). Throws {@link Refused} if the strategy cannot take the update (e.g. its buffer is full).
     */
    void accept(TensorSet delta, long trainingBags);

    /**
     * As {@link #accept}, from the update's wire form (float32 little-endian, tensors concatenated in
     * {@code specs} order) as the coordinator received it. The linear strategies fold the bytes without decoding
     * them into a second copy of the update; the default decodes.
     */
    default void acceptWire(List<TensorSpec> specs, byte[] bytes, long trainingBags) {
        accept(TensorCodec.decode(specs, bytes), trainingBags);
    }

    /**
     * As {@link #acceptWire(List, byte[], long)}, from an upload's bytes read a piece at a time (its spool file). The
     * linear strategies fold the pieces as they are read, holding no whole copy of the update; the default reads the
     * update whole and decodes it.
     */
    default void acceptWire(List<TensorSpec> specs, UpdateBytes bytes, long trainingBags) {
        acceptWire(specs, bytes.whole(), trainingBags);
    }

    /** Number of updates folded into the open round so far. */
    int updates();

    /**
     * The next global model: the current one moved by the round's aggregate and server step; the round is then
     * closed. Leaves {@code global} untouched. Throws IllegalStateException if no update was folded in.
     */
    TensorSet finish(TensorSet global);

    /** The most updates one round can hold, for the strategies that keep them ({@code max_buffered_updates}). */
    default OptionalInt maxBufferedUpdates() {
        return OptionalInt.empty();
    }

    /** The server state after the last finished round; empty if the strategy keeps none, or before round one. */
    default Optional<StrategyState> save() {
        return Optional.empty();
    }

    /** Takes up a state saved by {@link #save()} of the same strategy (a restarted coordinator). */
    default void restore(StrategyState state) {
        throw new IllegalArgumentException("strategy '" + name() + "' keeps no state, but a state of '"
                + state.strategy() + "' was offered");
    }

    /** An update the strategy cannot take, whatever its content; the round refuses it and goes on. */
    final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }
}
