package org.fedmil.mil.pseudo;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;

/**
 * Confident pseudo-labels for a site's unlabeled bags (self-training): the current global model scores every
 * unlabeled bag, and a bag whose probability p is at least {@code threshold} is taken as positive, one with
 * p ≤ 1 − threshold as negative; the rest stay out. Confidence is max(p, 1 − p), so the threshold is in (0.5, 1]:
 * 0.95 keeps only bags the model is 95% sure of either way.
 *
 * <p>Re-run every round with the new global model: a bag may join, change sides or drop out as the model learns.
 * The pseudo-labels live only in the site's memory for the round; they are never written and never sent.
 */
public final class PseudoLabeller {

    /** The smallest threshold that still means "confident": at 0.5 every bag would be pseudo-labelled. */
    public static final double MIN_THRESHOLD = 0.5;

    private final double threshold;

    public PseudoLabeller(double threshold) {
        if (!(threshold > MIN_THRESHOLD && threshold <= 1.0)) {
            throw new IllegalArgumentException("pseudo-label threshold must be in (0.5, 1] (the confidence "
                    + "max(p, 1 - p) a bag needs), got " + threshold);
        }
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    /** The label a bag of probability {@code p} gets, or {@link Bag#UNLABELED} when the model is not confident. */
    public int labelFor(double p) {
        if (p >= threshold) {
            return 1;
        }
        // 1 − p ≥ t rather than p ≤ 1 − t: the same in exact arithmetic, but 1 − 0.9 is 0.09999999999999998 in
        // doubles, which would refuse p = 0.1 while accepting p = 0.9; compared this way both sides are symmetric
        if (1.0 - p >= threshold) {
            return 0;
        }
        return Bag.UNLABELED;
    }

    /**
     * Scores {@code unlabeled} with {@code model} (its weights as they are) and keeps the confident ones. Reads
     * each bag once and keeps none in memory: the result refers to the bags by index.
     */
    public PseudoLabels select(MilModel model, List<Bag> unlabeled) {
        List<PseudoLabels.Choice> chosen = new ArrayList<>();
        for (int i = 0; i < unlabeled.size(); i++) {
            float p = model.predictProbabilities(List.of(unlabeled.get(i)))[0];
            int label = labelFor(p);
            if (label != Bag.UNLABELED) {
                chosen.add(new PseudoLabels.Choice(i, label, p));
            }
        }
        return new PseudoLabels(unlabeled, chosen);
    }
}
