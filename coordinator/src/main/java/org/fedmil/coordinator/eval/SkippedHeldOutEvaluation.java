package org.fedmil.coordinator.eval;

import java.util.List;
import org.fedmil.coordinator.round.HeldOutEvaluation;
import org.fedmil.coordinator.round.HeldOutReport;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.tensor.TensorSet;

/**
 * evaluation.held_out: false. No bag is scored, so a round costs only the federation's own work (an overhead
 * measurement); the metrics are those of an empty set (n = 0, every rate undefined), which the round log, the
 * state folder and the console already show as undefined rather than as a score.
 */
public final class SkippedHeldOutEvaluation implements HeldOutEvaluation {

    private static final BinaryMetrics NONE = new BinaryMetrics(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN);

    @Override
    public BinaryMetrics evaluate(TensorSet weights) {
        return NONE;
    }

    @Override
    public HeldOutReport report(TensorSet weights, boolean trained) {
        return new HeldOutReport(NONE, null, List.of());
    }
}
