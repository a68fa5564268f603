package org.fedmil.mil.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * How well bag probabilities separate positive from negative bags, with the operating point a clinician
 * reads: the confusion matrix, sensitivity and specificity at a threshold (a bag is called positive when its
 * probability is at least the threshold). Definitions: docs/metrics.md.
 *
 * @param n           number of bags scored
 * @param auc         area under the ROC curve; NaN when only one class is present
 * @param accuracy    share of bags classified correctly at the threshold; NaN when n = 0
 * @param sensitivity true-positive rate at the threshold; NaN when there are no positives
 * @param specificity true-negative rate at the threshold; NaN when there are no negatives
 * @param loss        mean binary cross-entropy; NaN when n = 0
 * @param threshold   the operating point the rates and counts are taken at
 * @param confusion   the counts at the threshold; null when these metrics were rebuilt from rates alone (a site's
 *                    evaluation report carries no counts)
 */
public record BinaryMetrics(int n, double auc, double accuracy, double sensitivity, double specificity,
                            double loss, double threshold, ConfusionMatrix confusion) {

    /** The default operating point: a bag is called positive when its probability is at least this. */
    public static final double THRESHOLD = 0.5;

    /** Probabilities are clamped to [EPSILON, 1 − EPSILON] so one confident mistake gives a large, finite loss. */
    public static final double EPSILON = 1e-7;

    /** Bootstrap resamples for {@link #aucConfidenceInterval(int[], float[])}. */
    public static final int DEFAULT_RESAMPLES = 2000;

    /** Seed for {@link #aucConfidenceInterval(int[], float[])}: a fixed seed makes a report reproducible. */
    public static final long DEFAULT_SEED = 20_240_601L;

    public BinaryMetrics {
        requireThreshold(threshold);
    }

    /** Metrics known only as rates (e.g. from a site's evaluation report), at the default threshold. */
    public BinaryMetrics(int n, double auc, double accuracy, double sensitivity, double specificity, double loss) {
        this(n, auc, accuracy, sensitivity, specificity, loss, THRESHOLD, null);
    }

    /** {@link #of(int[], float[], double)} at the default threshold 0.5. */
    public static BinaryMetrics of(int[] labels, float[] probabilities) {
        return of(labels, probabilities, THRESHOLD);
    }

    /**
     * Scores bags at the operating point {@code threshold}: a bag is called positive when its probability is at
     * least the threshold.
     */
    public static BinaryMetrics of(int[] labels, float[] probabilities, double threshold) {
        requireValid(labels, probabilities);
        requireThreshold(threshold);
        int n = labels.length;
        int tp = 0;
        int fp = 0;
        int tn = 0;
        int fn = 0;
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            float p = probabilities[i];
            boolean calledPositive = p >= threshold;
            double clamped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
            if (labels[i] == 1) {
                if (calledPositive) {
                    tp++;
                } else {
                    fn++;
                }
                lossSum -= Math.log(clamped);
            } else {
                if (calledPositive) {
                    fp++;
                } else {
                    tn++;
                }
                lossSum -= Math.log1p(-clamped);
            }
        }
        ConfusionMatrix c = new ConfusionMatrix(tp, fp, tn, fn);
        return new BinaryMetrics(n, auc(labels, probabilities), c.accuracy(), c.sensitivity(), c.specificity(),
                n == 0 ? Double.NaN : lossSum / n, threshold, c);
    }

    /**
     * {@link #aucConfidenceInterval(int[], float[], int, long)} with {@link #DEFAULT_RESAMPLES} resamples and
     * {@link #DEFAULT_SEED}.
     */
    public static AucInterval aucConfidenceInterval(int[] labels, float[] probabilities) {
        return aucConfidenceInterval(labels, probabilities, DEFAULT_RESAMPLES, DEFAULT_SEED);
    }

    /**
     * A 95 % confidence interval for the AUC by the percentile bootstrap, stratified by class: each resample
     * draws as many positive bags as there are, with replacement, from the positives, and likewise the
     * negatives, so every resample has both classes and the same prevalence. The bounds are the 2.5th and 97.5th
     * percentiles of the resampled AUCs (linear interpolation between order statistics, numpy's default). The
     * same labels, probabilities, resamples and seed give the same interval on every machine.
     *
     * <p>Per resample: {@code java.util.Random(seed)} draws the negatives' indices first ({@code nextInt(N)}, N
     * times, indices into the negatives in input order), then the positives' ({@code nextInt(P)}, P times).
     *
     * @return NaN bounds when one class is absent (the AUC itself is undefined then)
     */
    public static AucInterval aucConfidenceInterval(int[] labels, float[] probabilities, int resamples, long seed) {
        requireValid(labels, probabilities);
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples is " + resamples + "; the bootstrap needs at least 1 "
                    + "(" + DEFAULT_RESAMPLES + " is the default)");
        }
        int positives = 0;
        for (int y : labels) {
            positives += y;
        }
        int negatives = labels.length - positives;
        if (positives == 0 || negatives == 0) {
            return new AucInterval(Double.NaN, Double.NaN, resamples);
        }
        float[] pos = new float[positives];
        float[] neg = new float[negatives];
        for (int i = 0, p = 0, q = 0; i < labels.length; i++) {
            float score = probabilities[i] + 0f; // −0 becomes +0, so it ties with 0 as it does in auc()
            if (labels[i] == 1) {
                pos[p++] = score;
            } else {
                neg[q++] = score;
            }
        }
        // A resample's AUC is Σ over drawn (positive, negative) pairs of [s⁺ > s⁻] + ½[s⁺ = s⁻], over P·N. With the
        // negatives sorted once, each positive's share is a difference of prefix sums of the drawn negatives'
        // multiplicities, so one resample costs O(P + N) instead of a sort.
        Integer[] byScore = new Integer[negatives];
        for (int j = 0; j < negatives; j++) {
            byScore[j] = j;
        }
        Arrays.sort(byScore, (a, b) -> Float.compare(neg[a], neg[b]));
        int[] sortedPosition = new int[negatives];
        float[] sorted = new float[negatives];
        for (int k = 0; k < negatives; k++) {
            sortedPosition[byScore[k]] = k;
            sorted[k] = neg[byScore[k]];
        }
        int[] below = new int[positives];
        int[] belowOrTied = new int[positives];
        for (int i = 0; i < positives; i++) {
            below[i] = firstIndex(sorted, pos[i], false);
            belowOrTied[i] = firstIndex(sorted, pos[i], true);
        }
        Random rng = new Random(seed);
        double[] aucs = new double[resamples];
        int[] drawn = new int[negatives];
        long[] prefix = new long[negatives + 1];
        double pairs = (double) positives * negatives;
        for (int b = 0; b < resamples; b++) {
            Arrays.fill(drawn, 0);
            for (int j = 0; j < negatives; j++) {
                drawn[sortedPosition[rng.nextInt(negatives)]]++;
            }
            for (int k = 0; k < negatives; k++) {
                prefix[k + 1] = prefix[k] + drawn[k];
            }
            double wins = 0;
            for (int i = 0; i < positives; i++) {
                int p = rng.nextInt(positives);
                wins += prefix[below[p]] + 0.5 * (prefix[belowOrTied[p]] - prefix[below[p]]);
            }
            aucs[b] = wins / pairs;
        }
        Arrays.sort(aucs);
        double alpha = (1 - AucInterval.LEVEL) / 2;
        return new AucInterval(percentile(aucs, alpha), percentile(aucs, 1 - alpha), resamples);
    }

    /** The number of values in ascending {@code sorted} that are below {@code x} (or at most {@code x}). */
    private static int firstIndex(float[] sorted, float x, boolean includeTies) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = Float.compare(sorted[mid], x);
            if (c < 0 || (includeTies && c == 0)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Percentile q of ascending {@code sorted} with linear interpolation (Hyndman–Fan type 7). */
    static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        // clamp: interpolating between equal values must give exactly that value, not one rounded past it
        double v = sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        return Math.min(Math.max(v, sorted[lo]), sorted[hi]);
    }

    /**
     * The line a clinician reads, e.g. "AUC 0.912, sensitivity 0.88, specificity 0.81 at threshold 0.50;
     * TP 22 FP 5 TN 21 FN 3".
     */
    public String summary() {
        return summary(null);
    }

    /**
     * As {@link #summary()} with the AUC's confidence interval: "AUC 0.912 (95% CI 0.85–0.97), sensitivity 0.88,
     * specificity 0.81 at threshold 0.50; TP 22 FP 5 TN 21 FN 3".
     */
    public String summary(AucInterval interval) {
        StringBuilder s = new StringBuilder("AUC ").append(format(auc, "%.3f"));
        if (Double.isNaN(auc)) {
            s.append(" (needs positive and negative bags)");
        } else if (interval != null) {
            s.append(" (").append(interval).append(')');
        }
        s.append(", sensitivity ").append(format(sensitivity, "%.2f"))
                .append(", specificity ").append(format(specificity, "%.2f"))
                .append(" at threshold ").append(format(threshold, "%.2f"));
        if (confusion != null) {
            s.append("; ").append(confusion);
        }
        return s.toString();
    }

    private static String format(double x, String pattern) {
        return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, pattern, x);
    }

    private static void requireValid(int[] labels, float[] probabilities) {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(probabilities, "probabilities");
        if (labels.length != probabilities.length) {
            throw new IllegalArgumentException("got " + labels.length + " labels but " + probabilities.length
                    + " probabilities; score every bag exactly once");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("label #" + i + " is " + labels[i] + "; labels must be 0 or 1");
            }
            float p = probabilities[i];
            if (!(p >= 0f && p <= 1f)) {
                throw new IllegalArgumentException("probability #" + i + " is " + p + "; must be in [0, 1]");
            }
        }
    }

    private static void requireThreshold(double threshold) {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold is " + threshold + "; an operating point must be in "
                    + "[0, 1] (a bag is called positive when its probability is at least the threshold)");
        }
    }

    /**
     * Mann–Whitney U / (positives × negatives): the probability that a random positive scores above a random
     * negative, a tie counting one half. Tied scores share their mid-rank, which gives exactly that half.
     */
    private static double auc(int[] labels, float[] probabilities) {
        int n = labels.length;
        int positives = 0;
        for (int y : labels) {
            positives += y;
        }
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
}
