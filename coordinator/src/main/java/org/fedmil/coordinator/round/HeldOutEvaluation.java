package org.fedmil.coordinator.round;

import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.tensor.TensorSet;

/** Scores a global model on the held-out set the coordinator keeps. */
@FunctionalInterface
public interface HeldOutEvaluation {

    BinaryMetrics evaluate(TensorSet weights);
}
