package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ConfusionMatrix;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.tensor.TensorSet;

/** Scores a global model on the held-out set the coordinator keeps. */
@FunctionalInterface
public interface HeldOutEvaluation {

    /** The name the held-out set goes by in warnings. */
    String SET = "held-out set";

    BinaryMetrics evaluate(TensorSet weights);

    /**
     * The metrics with the AUC's interval and the checks of the scored set. This default has only the metrics: no
     * interval, and only the checks counts allow (one class, few bags); an evaluation that has the bags' scores
     * overrides it.
     *
     * @param trained false for a model that was not trained to classify (the initial model, pretraining rounds),
     *                whose scores are not judged
     */
    default HeldOutReport report(TensorSet weights, boolean trained) {
        BinaryMetrics m = evaluate(weights);
        List<LearningWarning> warnings = new ArrayList<>();
        ConfusionMatrix c = m.confusion();
        if (c != null) {
            LearningCheck.singleClass(SET, c.negatives(), c.positives()).ifPresent(warnings::add);
        }
        LearningCheck.smallSet(SET, m.n(), null).ifPresent(warnings::add);
        return new HeldOutReport(m, null, warnings);
    }
}
