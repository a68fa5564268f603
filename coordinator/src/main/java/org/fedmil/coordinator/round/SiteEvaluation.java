package org.fedmil.coordinator.round;

import org.fedmil.mil.eval.BinaryMetrics;

/** Aggregate metrics a site computed for a global model on its own bags; per-bag outputs never leave the site. */
public record SiteEvaluation(long modelVersion, BinaryMetrics metrics) {
}
