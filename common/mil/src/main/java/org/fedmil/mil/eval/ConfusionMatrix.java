package org.fedmil.mil.eval;

/**
 * Counts of bags by true label and call at one operating threshold: a bag is called positive when its
 * probability is at least the threshold.
 *
 * @param tp positive bags called positive
 * @param fp negative bags called positive
 * @param tn negative bags called negative
 * @param fn positive bags called negative
 */
public record ConfusionMatrix(int tp, int fp, int tn, int fn) {

    public ConfusionMatrix {
        if (tp < 0 || fp < 0 || tn < 0 || fn < 0) {
            throw new IllegalArgumentException("confusion counts must not be negative: TP " + tp + " FP " + fp
                    + " TN " + tn + " FN " + fn);
        }
    }

    /** Bags whose true label is positive. */
    public int positives() {
        return tp + fn;
    }

    /** Bags whose true label is negative. */
    public int negatives() {
        return tn + fp;
    }

    public int n() {
        return tp + fp + tn + fn;
    }

    /** TP / (TP + FN), the true-positive rate; NaN without positive bags. */
    public double sensitivity() {
        return ratio(tp, tp + fn);
    }

    /** TN / (TN + FP), the true-negative rate; NaN without negative bags. */
    public double specificity() {
        return ratio(tn, tn + fp);
    }

    /** (TP + TN) / n; NaN without bags. */
    public double accuracy() {
        return ratio(tp + tn, n());
    }

    /** TP / (TP + FP), positive predictive value (precision); NaN when no bag is called positive. */
    public double ppv() {
        return ratio(tp, tp + fp);
    }

    /** TN / (TN + FN), negative predictive value; NaN when no bag is called negative. */
    public double npv() {
        return ratio(tn, tn + fn);
    }

    private static double ratio(int numerator, int denominator) {
        return denominator == 0 ? Double.NaN : (double) numerator / denominator;
    }

    /** "TP 22 FP 5 TN 21 FN 3", as in a clinical summary line. */
    @Override
    public String toString() {
        return "TP " + tp + " FP " + fp + " TN " + tn + " FN " + fn;
    }
}
