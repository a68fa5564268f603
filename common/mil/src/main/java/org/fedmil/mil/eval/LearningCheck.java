package org.fedmil.mil.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.train.BagLoss;
import org.fedmil.mil.train.LossConfig;

/**
 * Says when a model has learned nothing, or when its numbers cannot be trusted, before anyone reads an AUC as a
 * result. A model that ignores its input gives every bag the same score and keeps the training loss of a constant
 * guess; its AUC is then a ranking of numerical noise and may read anything from 0.3 to 0.8. The thresholds are
 * deliberately coarse: they separate "the model moved" from "it did not", not good models from mediocre ones.
 *
 * <ul>
 *   <li>{@link #nearConstantScores}: the standard deviation of the bags' log-odds over a scored set is below
 *       {@value #MIN_LOGIT_STD}. Log-odds, not probabilities, so that a model confident about every bag (all
 *       probabilities near 0 or 1, far apart in log-odds) is not mistaken for a constant one; 0.1 in log-odds is
 *       about ±2.5 percentage points of probability around 0.5, while a model that separates the classes spreads
 *       its bags over whole units.</li>
 *   <li>{@link #trainingLoss}: after at least {@value #MIN_EPOCHS} epochs, the training loss is still at least
 *       {@code 1 − }{@value #LOSS_TOLERANCE} times the loss of the best constant predictor
 *       ({@link #constantPredictorLoss}): ln 2 ≈ 0.693 for cross-entropy with balanced class weights, the entropy
 *       of the label prior without them.</li>
 *   <li>{@link #chanceLevel}: the AUC's bootstrap 95 % interval includes 0.5. A model can fit its training bags and
 *       still have learned nothing that carries over: with labels unrelated to the bags it memorises them (the
 *       training loss falls) while its held-out AUC stays at chance, which only this check sees.</li>
 *   <li>{@link #singleClass} and {@link #site}: a scored set or a site with bags of one class only (the AUC is
 *       undefined; a site cannot learn to tell classes apart from one).</li>
 *   <li>{@link #smallSet}: fewer than {@value #SMALL_SET_BAGS} bags, whose AUC interval spans tenths.</li>
 * </ul>
 */
public final class LearningCheck {

    /** Log-odds standard deviation below which a set's scores count as constant. */
    public static final double MIN_LOGIT_STD = 0.1;

    /** How close (relative) to the constant predictor's loss a training loss counts as not having moved. */
    public static final double LOSS_TOLERANCE = 0.03;

    /** Epochs of training before the loss is judged: the first ones may sit at the constant loss on any data. */
    public static final int MIN_EPOCHS = 5;

    /** Scored sets with fewer bags are flagged as small. */
    public static final int SMALL_SET_BAGS = 30;

    private static final String SEE = "see \"The model learned nothing\" in docs/operator-guide.md";

    private LearningCheck() {
    }

    /**
     * Every check of one scored set: one class, few bags and, when {@code trained}, near-constant scores and a
     * chance-level AUC (an untrained model is expected to score every bag alike, and at chance).
     *
     * @param set a name for the set in the messages, e.g. "held-out set"
     * @param ci  the set's AUC interval, quoted by the small-set message; null when not computed
     */
    public static List<LearningWarning> scoredSet(String set, int[] labels, float[] probabilities, AucInterval ci,
                                                  boolean trained) {
        long positives = 0;
        for (int y : labels) {
            positives += y;
        }
        List<LearningWarning> warnings = new ArrayList<>();
        singleClass(set, labels.length - positives, positives).ifPresent(warnings::add);
        smallSet(set, labels.length, ci).ifPresent(warnings::add);
        if (trained) {
            nearConstantScores(set, probabilities).ifPresent(warnings::add);
            chanceLevel(set, BinaryMetrics.of(labels, probabilities).auc(), ci).ifPresent(warnings::add);
        }
        return warnings;
    }

    /** A scored set whose bags are all of one class: its AUC (and the AUC's interval) is undefined. */
    public static Optional<LearningWarning> singleClass(String set, long negatives, long positives) {
        if (negatives + positives == 0 || (negatives > 0 && positives > 0)) {
            return Optional.empty();
        }
        return Optional.of(new LearningWarning(LearningWarning.Kind.SINGLE_CLASS, String.format(Locale.ROOT,
                "%s: all %d bags are %s, so AUC is undefined (n/a); check its labels, or hold out bags of both "
                        + "classes (a split stratified by label keeps both)", set, negatives + positives,
                positives == 0 ? "negative" : "positive")));
    }

    /** A site that trains on one class only. */
    public static Optional<LearningWarning> site(String site, long negatives, long positives) {
        if (negatives + positives == 0 || (negatives > 0 && positives > 0)) {
            return Optional.empty();
        }
        return Optional.of(new LearningWarning(LearningWarning.Kind.SITE_SINGLE_CLASS, String.format(Locale.ROOT,
                "site %s: all %d of its bags are %s; it cannot learn to tell the classes apart and pulls the model "
                        + "towards always answering %s; check its labels, or split the data so that every site "
                        + "holds both classes", site, negatives + positives, positives == 0 ? "negative" : "positive",
                positives == 0 ? "negative" : "positive")));
    }

    /** A set of fewer than {@value #SMALL_SET_BAGS} bags. */
    public static Optional<LearningWarning> smallSet(String set, int bags, AucInterval ci) {
        if (bags >= SMALL_SET_BAGS || bags == 0) {
            return Optional.empty();
        }
        String width = ci != null && ci.isDefined() ? " (" + ci + ")" : "";
        return Optional.of(new LearningWarning(LearningWarning.Kind.SMALL_SET, String.format(Locale.ROOT,
                "small %s: n=%d, AUC CI is wide%s; differences between runs inside it are noise; hold out %d or "
                        + "more bags where the data allow, or cross-validate", set, bags, width, SMALL_SET_BAGS)));
    }

    /** An AUC whose bootstrap 95 % interval includes 0.5; nothing when the interval is unknown or undefined. */
    public static Optional<LearningWarning> chanceLevel(String set, double auc, AucInterval ci) {
        if (ci == null || !ci.isDefined() || ci.lower() > 0.5) {
            return Optional.empty();
        }
        return Optional.of(new LearningWarning(LearningWarning.Kind.CHANCE_LEVEL_AUC, String.format(Locale.ROOT,
                "%s: AUC %.3f cannot be told from chance (%s includes 0.5): the model has learned nothing that "
                        + "carries over to these bags; if its training loss is low it memorised its training bags "
                        + "(labels unrelated to the bags do that); check the labels, and that training and %s "
                        + "bags come from the same source; %s", set, auc, ci, set.replace(" set", ""), SEE)));
    }

    /** Bags' log-odds with a standard deviation below {@value #MIN_LOGIT_STD}; needs two bags or more. */
    public static Optional<LearningWarning> nearConstantScores(String set, float[] probabilities) {
        if (probabilities.length < 2) {
            return Optional.empty();
        }
        double spread = logitStd(probabilities);
        if (spread >= MIN_LOGIT_STD) {
            return Optional.empty();
        }
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float p : probabilities) {
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        return Optional.of(new LearningWarning(LearningWarning.Kind.NEAR_CONSTANT_SCORES, String.format(Locale.ROOT,
                "%s: the model gives every bag nearly the same score (probabilities %.4f–%.4f, log-odds std %.4f "
                        + "< %s): it has learned nothing and its AUC ranks noise; check that the labels belong to "
                        + "the bags, train longer or try another learning rate; %s", set, min, max, spread,
                MIN_LOGIT_STD, SEE)));
    }

    /**
     * A training loss still at the constant predictor's after {@code epochs} epochs.
     *
     * @param constantLoss the loss of the best constant predictor on the same bags ({@link #constantPredictorLoss});
     *                     no warning when it is 0 or undefined (a single class: see {@link #site})
     */
    public static Optional<LearningWarning> trainingLoss(double loss, double constantLoss, double epochs) {
        if (epochs < MIN_EPOCHS || !(constantLoss > 0) || Double.isNaN(loss)
                || loss < (1 - LOSS_TOLERANCE) * constantLoss) {
            return Optional.empty();
        }
        return Optional.of(new LearningWarning(LearningWarning.Kind.LOSS_AT_CONSTANT_PREDICTOR,
                String.format(Locale.ROOT, "training loss %.4f after %s epochs is no better than a constant guess "
                                + "(%.4f%s): the model has not fit even its training data; check that the labels "
                                + "belong to the bags, train longer or try another learning rate; %s", loss,
                        epochs == Math.rint(epochs) ? Long.toString((long) epochs) : Double.toString(epochs),
                        constantLoss, Math.abs(constantLoss - Math.log(2)) < 1e-9 ? " = ln 2" : "", SEE)));
    }

    /**
     * The training loss of a model that ignores its input and gives every bag the same logit, the best such
     * logit: ln 2 for cross-entropy with balanced class weights, the entropy of the label prior without weights.
     * Computed numerically, so focal loss, GCE and label smoothing are covered too. 0 when a class is absent.
     */
    public static double constantPredictorLoss(LossConfig loss, LabelCounts counts) {
        return constantPredictorLoss(loss.forSite(counts), counts.negatives(), counts.positives());
    }

    /** {@link #constantPredictorLoss(LossConfig, LabelCounts)} for a site's own {@link BagLoss}. */
    public static double constantPredictorLoss(BagLoss loss, long negatives, long positives) {
        if (negatives == 0 || positives == 0) {
            return 0;
        }
        double n = negatives + positives;
        // a mean of per-bag losses, each convex or unimodal in the shared logit: a golden-section search finds it
        double lo = -30;
        double hi = 30;
        double g = (Math.sqrt(5) - 1) / 2;
        for (int i = 0; i < 200; i++) {
            double a = hi - g * (hi - lo);
            double b = lo + g * (hi - lo);
            double fa = (negatives * loss.of(a, 0) + positives * loss.of(a, 1)) / n;
            double fb = (negatives * loss.of(b, 0) + positives * loss.of(b, 1)) / n;
            if (fa <= fb) {
                hi = b;
            } else {
                lo = a;
            }
        }
        double x = (lo + hi) / 2;
        return (negatives * loss.of(x, 0) + positives * loss.of(x, 1)) / n;
    }

    /**
     * Population standard deviation of the bags' log-odds ln(p / (1 − p)), the probabilities clamped to
     * [{@link BinaryMetrics#EPSILON}, 1 − ε] as the loss clamps them.
     */
    public static double logitStd(float[] probabilities) {
        double[] logits = new double[probabilities.length];
        double mean = 0;
        for (int i = 0; i < logits.length; i++) {
            double c = Math.min(Math.max(probabilities[i], BinaryMetrics.EPSILON), 1 - BinaryMetrics.EPSILON);
            logits[i] = Math.log(c / (1 - c));
            mean += logits[i] / logits.length;
        }
        double squares = 0;
        for (double l : logits) {
            squares += (l - mean) * (l - mean);
        }
        return Math.sqrt(squares / logits.length);
    }
}
