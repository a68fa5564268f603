package org.fedmil.coordinator.aggregate;

import java.util.function.Function;

/**
 * One row of the strategy registry: a configuration name, the record its {@code strategy:} keys are bound to (by
 * Jackson, snake_case, unknown keys refused), and how a strategy is made from the bound record. A strategy class
 * declares its rows as {@code public static final} fields; {@link Strategies} finds them.
 */
public record StrategyType<P>(String name, Class<P> params, Function<P, Strategy> factory) {

    /** The strategy from already bound parameters. */
    public Strategy create(Object boundParams) {
        return factory.apply(params.cast(boundParams));
    }
}
