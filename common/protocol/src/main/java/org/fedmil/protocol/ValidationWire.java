package org.fedmil.protocol;

import java.util.Optional;
import java.util.OptionalDouble;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.ValidationSummary;

/** A site's validation aggregates ↔ the {@code UpdateHeader.validation} field. */
public final class ValidationWire {

    private ValidationWire() {
    }

    public static ValidationSummary toProto(ValidationMetrics m) {
        ValidationSummary.Builder b = ValidationSummary.newBuilder()
                .setNegativeBags(m.negatives()).setPositiveBags(m.positives()).setLoss(m.loss());
        m.auc().ifPresent(b::setAuc);
        if (!Double.isNaN(m.negativeLoss())) {
            b.setNegativeLoss(m.negativeLoss());
        }
        if (!Double.isNaN(m.positiveLoss())) {
            b.setPositiveLoss(m.positiveLoss());
        }
        return b.build();
    }

    /**
     * The header's validation, empty when absent (a site without validation bags, or an older site).
     *
     * @throws IllegalArgumentException naming what is wrong when the values cannot be a validation result
     */
    public static Optional<ValidationMetrics> of(UpdateHeader h) {
        return h.hasValidation() ? Optional.of(of(h.getValidation())) : Optional.empty();
    }

    /** The evaluation report's validation, empty when absent; checked as {@link #of(UpdateHeader)}. */
    public static Optional<ValidationMetrics> of(org.fedmil.proto.v1.EvaluationReport r) {
        return r.hasValidation() ? Optional.of(of(r.getValidation())) : Optional.empty();
    }

    private static ValidationMetrics of(ValidationSummary v) {
        return new ValidationMetrics(v.getNegativeBags(), v.getPositiveBags(), v.getLoss(),
                v.hasAuc() ? OptionalDouble.of(v.getAuc()) : OptionalDouble.empty(),
                v.hasNegativeLoss() ? v.getNegativeLoss() : Double.NaN,
                v.hasPositiveLoss() ? v.getPositiveLoss() : Double.NaN);
    }
}
