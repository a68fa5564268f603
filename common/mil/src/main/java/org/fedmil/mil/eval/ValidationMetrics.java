package org.fedmil.mil.eval;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;

/**
 * A model's aggregate result on one party's validation bags: how many of each class, the mean loss and the AUC.
 * Counts-weighted aggregates only, never a bag's output: this is what a site may send.
 *
 * <p>The loss is the plain binary cross-entropy of the bag probabilities (clamped as {@link BinaryMetrics} does),
 * without the class weights, label smoothing or focal term a training may use: every site's number then means the
 * same thing and the federation can average them.
 *
 * @param negatives validation bags labelled 0
 * @param positives validation bags labelled 1
 * @param loss      mean binary cross-entropy over the validation bags
 * @param auc       AUC; empty when the validation bags are all of one class
 * @param negativeLoss mean binary cross-entropy over the negative bags; NaN when there are none or it is not known
 *                  (an older site)
 * @param positiveLoss the same over the positive bags
 */
public record ValidationMetrics(long negatives, long positives, double loss, OptionalDouble auc,
                                double negativeLoss, double positiveLoss) {

    /** Without the per-class losses (an older site's report). */
    public ValidationMetrics(long negatives, long positives, double loss, OptionalDouble auc) {
        this(negatives, positives, loss, auc, Double.NaN, Double.NaN);
    }

    public ValidationMetrics {
        if (negatives < 0 || positives < 0 || negatives + positives == 0) {
            throw new IllegalArgumentException("validation needs at least one bag, got " + negatives
                    + " negative and " + positives + " positive");
        }
        if (!Double.isFinite(loss) || loss < 0) {
            throw new IllegalArgumentException("validation loss must be a finite number ≥ 0, got " + loss);
        }
        for (double classLoss : new double[] {negativeLoss, positiveLoss}) {
            if (!Double.isNaN(classLoss) && !(Double.isFinite(classLoss) && classLoss >= 0)) {
                throw new IllegalArgumentException("a class's validation loss must be a finite number ≥ 0 (or "
                        + "absent), got " + classLoss);
            }
        }
        if (auc.isPresent() && !(auc.getAsDouble() >= 0 && auc.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("validation AUC must be in [0, 1], got " + auc.getAsDouble());
        }
    }

    public long bags() {
        return negatives + positives;
    }

    /**
     * The mean over the classes present of each class's mean cross-entropy: the loss of class-balanced training
     * (both classes weigh alike), so that validation measures what such training minimises. The plain loss when
     * one class is absent or the per-class losses are not known.
     */
    public double balancedLoss() {
        if (negatives == 0 || positives == 0 || Double.isNaN(negativeLoss) || Double.isNaN(positiveLoss)) {
            return loss;
        }
        return (negativeLoss + positiveLoss) / 2;
    }

    /** Scores {@code bags} with {@code model} (no training mode, nothing changes). */
    public static ValidationMetrics of(MilModel model, List<Bag> bags) {
        MilModel.Scores s = model.score(bags);
        return of(s.labels(), s.probabilities());
    }

    /** Of bags with these labels and probabilities. */
    public static ValidationMetrics of(int[] labels, float[] probabilities) {
        double[] sum = new double[2];
        long[] n = new long[2];
        for (int i = 0; i < labels.length; i++) {
            double p = Math.min(Math.max(probabilities[i], BinaryMetrics.EPSILON), 1 - BinaryMetrics.EPSILON);
            sum[labels[i]] += labels[i] == 1 ? -Math.log(p) : -Math.log(1 - p);
            n[labels[i]]++;
        }
        BinaryMetrics m = BinaryMetrics.of(labels, probabilities);
        return new ValidationMetrics(n[0], n[1], m.loss(),
                Double.isNaN(m.auc()) ? OptionalDouble.empty() : OptionalDouble.of(m.auc()),
                n[0] == 0 ? Double.NaN : sum[0] / n[0], n[1] == 0 ? Double.NaN : sum[1] / n[1]);
    }

    /** From metrics of bags with these labels. */
    public static ValidationMetrics of(BinaryMetrics m, int[] labels) {
        long positives = java.util.Arrays.stream(labels).filter(y -> y == 1).count();
        return new ValidationMetrics(labels.length - positives, positives, m.loss(),
                Double.isNaN(m.auc()) ? OptionalDouble.empty() : OptionalDouble.of(m.auc()));
    }

    /** "val loss 0.5123, val auc 0.8125 (12 bags)"; "val auc n/a" for one class. */
    public String summary() {
        return String.format(Locale.ROOT, "val loss %.4f, val auc %s (%d bags)", loss,
                auc.isPresent() ? String.format(Locale.ROOT, "%.4f", auc.getAsDouble()) : "n/a", bags());
    }
}
