package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningWarning;

/**
 * A global model on the held-out set: its metrics, the AUC's bootstrap interval, and what the checks of the
 * scored set found (one class, few bags, near-constant scores).
 *
 * @param aucCi null when the evaluation had no per-bag scores to resample
 */
public record HeldOutReport(BinaryMetrics metrics, AucInterval aucCi, List<LearningWarning> warnings) {

    public HeldOutReport {
        warnings = List.copyOf(warnings);
    }
}
