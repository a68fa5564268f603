package org.fedmil.coordinator.round;

import org.fedmil.mil.eval.BinaryMetrics;

/** Aggregate metrics a site computed for a global model on its own bags; per-bag outputs never leave the site. */
public record SiteEvaluation(long modelVersion, BinaryMetrics metrics,
                             java.util.Optional<org.fedmil.mil.eval.ValidationMetrics> validation) {

    public SiteEvaluation {
        validation = validation == null ? java.util.Optional.empty() : validation;
    }

    /** Without validation (a site that keeps no validation bags, or an older one). */
    public SiteEvaluation(long modelVersion, BinaryMetrics metrics) {
        this(modelVersion, metrics, java.util.Optional.empty());
    }
}
