package org.fedmil.bench.mil;

import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.MilModel;

/**
 * How well a model's attention points at the instances that make a bag positive: for each positive held-out bag
 * that has both positive and negative instances, the AUC of its attention weights against the hidden instance
 * labels; the mean over those bags. 0.5 is attention that ignores the key instances, 1.0 ranks every key
 * instance above every other one. The instance labels are read for scoring only; no model ever trains on them.
 */
public final class LocalisationAuc {

    private LocalisationAuc() {
    }

    /** The score, or NaN when no held-out bag has both kinds of instance. */
    public static double of(MilModel model, List<Bag> heldout, Map<String, int[]> instanceLabels) {
        double sum = 0;
        int scored = 0;
        for (Bag bag : heldout) {
            int[] labels = instanceLabels.get(bag.id());
            if (bag.label() != 1 || labels == null) {
                continue;
            }
            if (labels.length != bag.instances()) {
                throw new IllegalArgumentException("bag '" + bag.id() + "' has " + bag.instances()
                        + " instances but " + labels.length + " instance labels");
            }
            double auc = BinaryMetrics.of(labels, model.attentionWeights(bag)).auc();
            if (!Double.isNaN(auc)) {
                sum += auc;
                scored++;
            }
        }
        return scored == 0 ? Double.NaN : sum / scored;
    }
}
