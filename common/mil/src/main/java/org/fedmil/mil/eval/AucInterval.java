package org.fedmil.mil.eval;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Locale;

/**
 * A 95 % confidence interval for the AUC from a stratified percentile bootstrap (see
 * {@link BinaryMetrics#aucConfidenceInterval(int[], float[], int, long)}). Both bounds are NaN when the AUC is
 * undefined (one class absent).
 *
 * @param lower     2.5th percentile of the resampled AUCs
 * @param upper     97.5th percentile of the resampled AUCs
 * @param resamples how many bootstrap resamples the percentiles were taken over
 */
public record AucInterval(double lower, double upper, int resamples) {

    /** The coverage these bounds aim for. */
    public static final double LEVEL = 0.95;

    public AucInterval {
        if (resamples < 1) {
            throw new IllegalArgumentException("an AUC interval needs at least one resample, got " + resamples);
        }
        if (!(Double.isNaN(lower) && Double.isNaN(upper)) && !(0 <= lower && lower <= upper && upper <= 1)) {
            throw new IllegalArgumentException("AUC interval bounds must satisfy 0 ≤ lower ≤ upper ≤ 1 (or both be "
                    + "NaN), got [" + lower + ", " + upper + "]");
        }
    }

    /** upper − lower; NaN when undefined. */
    public double width() {
        return upper - lower;
    }

    /** True when lower ≤ auc ≤ upper. */
    public boolean contains(double auc) {
        return lower <= auc && auc <= upper;
    }

    @JsonIgnore // derived from the bounds, not a third value to store
    public boolean isDefined() {
        return !Double.isNaN(lower);
    }

    /** "95% CI 0.85–0.97", or "95% CI n/a" when undefined. */
    @Override
    public String toString() {
        return isDefined() ? String.format(Locale.ROOT, "95%% CI %.2f–%.2f", lower, upper) : "95% CI n/a";
    }
}
