package org.fedmil.mil.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * How well bag probabilities separate positive from negative bags.
 *
 * @param n           number of bags scored
 * @param auc         area under the ROC curve; NaN when only one class is present
 * @param accuracy    share of bags classified correctly at threshold 0.5; NaN when n = 0
 * @param sensitivity true-positive rate at threshold 0.5; NaN when there are no positives
 * @param specificity true-negative rate at threshold 0.5; NaN when there are no negatives
 * @param loss        mean binary cross-entropy; NaN when n = 0
 */
public record BinaryMetrics(int n, double auc, double accuracy, double sensitivity, double specificity,
                            double loss) {

    /** A bag is called positive when its probability is at least this. */
    public static final double THRESHOLD = 0.5;

    /** Probabilities are clamped to [EPSILON, 1 − EPSILON] so one confident mistake gives a large, finite loss. */
    public static final double EPSILON = 1e-7;

    public static BinaryMetrics of(int[] labels, float[] probabilities) {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(probabilities, "probabilities");
        if (labels.length != probabilities.length) {
            throw new IllegalArgumentException("got " + labels.length + " labels but " + probabilities.length
                    + " probabilities; score every bag exactly once");
        }
        int n = labels.length;
        int positives = 0;
        int truePositives = 0;
        int trueNegatives = 0;
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            float p = probabilities[i];
            if (y != 0 && y != 1) {
                throw new IllegalArgumentException("label #" + i + " is " + y + "; labels must be 0 or 1");
            }
            if (!(p >= 0f && p <= 1f)) {
                throw new IllegalArgumentException("probability #" + i + " is " + p + "; must be in [0, 1]");
            }
            boolean predictedPositive = p >= THRESHOLD;
            double clamped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
            if (y == 1) {
                positives++;
                truePositives += predictedPositive ? 1 : 0;
                lossSum -= Math.log(clamped);
            } else {
                trueNegatives += predictedPositive ? 0 : 1;
                lossSum -= Math.log1p(-clamped);
            }
        }
        int negatives = n - positives;
        return new BinaryMetrics(n,
                auc(labels, probabilities, positives),
                ratio(truePositives + trueNegatives, n),
                ratio(truePositives, positives),
                ratio(trueNegatives, negatives),
                n == 0 ? Double.NaN : lossSum / n);
    }

    /**
     * Mann–Whitney U / (positives × negatives): the probability that a random positive scores above a random
     * negative, a tie counting one half. Tied scores share their mid-rank, which gives exactly that half.
     */
    private static double auc(int[] labels, float[] probabilities, int positives) {
        int n = labels.length;
        int negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(probabilities[a], probabilities[b]));
        double positiveRankSum = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && probabilities[order[j + 1]] == probabilities[order[i]]) {
                j++;
            }
            double midRank = (i + j) / 2.0 + 1; // ranks are 1-based
            for (int k = i; k <= j; k++) {
                if (labels[order[k]] == 1) {
                    positiveRankSum += midRank;
                }
            }
            i = j + 1;
        }
        double u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double) positives * negatives);
    }

    private static double ratio(int numerator, int denominator) {
        return denominator == 0 ? Double.NaN : (double) numerator / denominator;
    }
}
