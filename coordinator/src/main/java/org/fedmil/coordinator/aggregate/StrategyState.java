package org.fedmil.coordinator.aggregate;

import org.fedmil.tensor.TensorSet;

/**
 * A server optimiser's state: its strategy's name and its tensors (FedAdam: "m/&lt;tensor&gt;" and
 * "v/&lt;tensor&gt;"), float32 so that writing and reading it back is exact.
 */
public record StrategyState(String strategy, TensorSet tensors) {
}
