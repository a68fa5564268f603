package org.fedmil.site.predict;

import java.util.Arrays;
import java.util.Locale;

/**
 * The probability at or above which a bag is called positive, and where it came from. A model's scores are not
 * calibrated to 0.5 (class weights, imbalance and early stopping all move them), so the threshold is either given
 * by the user or chosen on labelled validation bags: the one that maximises sensitivity + specificity (Youden's
 * J), never a silent 0.5.
 *
 * @param chosenOn    how it was set, for the output: "given", or the validation bags it was chosen on
 * @param sensitivity on those bags (NaN when given)
 * @param specificity on those bags (NaN when given)
 */
public record DecisionThreshold(double value, String chosenOn, int negatives, int positives, double sensitivity,
                                double specificity) {

    public DecisionThreshold {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("a decision threshold is a probability in [0, 1], got " + value);
        }
    }

    /** A threshold the user chose. */
    public static DecisionThreshold given(double value) {
        return new DecisionThreshold(value, "given (--threshold)", 0, 0, Double.NaN, Double.NaN);
    }

    /**
     * The threshold that maximises sensitivity + specificity on labelled bags; of thresholds that tie, the middle
     * one, and each candidate lies halfway between two neighbouring scores, so a bag scored exactly at a
     * validation bag's score is decided as that bag was.
     */
    public static DecisionThreshold youden(int[] labels, float[] probabilities, String where) {
        int positives = (int) Arrays.stream(labels).filter(l -> l == 1).count();
        int negatives = labels.length - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException(where + " holds " + negatives + " negative and " + positives
                    + " positive labelled bag(s); choosing a threshold needs both classes: give labelled bags of "
                    + "both (--validation DIR) or a threshold (--threshold T)");
        }
        double[] sorted = new double[probabilities.length];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = probabilities[i];
        }
        double[] distinct = Arrays.stream(sorted).sorted().distinct().toArray();
        double[] candidates = new double[distinct.length + 1];
        candidates[0] = Math.max(0, distinct[0] / 2);
        for (int i = 1; i < distinct.length; i++) {
            candidates[i] = (distinct[i - 1] + distinct[i]) / 2;
        }
        candidates[distinct.length] = (distinct[distinct.length - 1] + 1) / 2;
        double best = -2;
        int first = 0;
        int last = 0;
        for (int c = 0; c < candidates.length; c++) {
            double j = sensitivity(labels, probabilities, candidates[c], positives)
                    + specificity(labels, probabilities, candidates[c], negatives) - 1;
            if (j > best + 1e-12) {
                best = j;
                first = c;
                last = c;
            } else if (Math.abs(j - best) <= 1e-12 && last == c - 1) {
                last = c;
            }
        }
        double t = candidates[(first + last) / 2];
        return new DecisionThreshold(t, where, negatives, positives, sensitivity(labels, probabilities, t, positives),
                specificity(labels, probabilities, t, negatives));
    }

    private static double sensitivity(int[] labels, float[] p, double t, int positives) {
        int hit = 0;
        for (int i = 0; i < labels.length; i++) {
            hit += labels[i] == 1 && p[i] >= t ? 1 : 0;
        }
        return (double) hit / positives;
    }

    private static double specificity(int[] labels, float[] p, double t, int negatives) {
        int hit = 0;
        for (int i = 0; i < labels.length; i++) {
            hit += labels[i] == 0 && p[i] < t ? 1 : 0;
        }
        return (double) hit / negatives;
    }

    /** The decision for a bag's probability: 1 (positive) at or above the threshold. */
    public int decide(double probability) {
        return probability >= value ? 1 : 0;
    }

    public String describe() {
        if (Double.isNaN(sensitivity)) {
            return String.format(Locale.ROOT, "%.4f, %s", value, chosenOn);
        }
        return String.format(Locale.ROOT, "%.4f, chosen on %s (%d negative, %d positive bags: sensitivity %.3f, "
                + "specificity %.3f)", value, chosenOn, negatives, positives, sensitivity, specificity);
    }
}
