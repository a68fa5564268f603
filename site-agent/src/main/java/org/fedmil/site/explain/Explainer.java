package org.fedmil.site.explain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.MilModel;

/** Runs a model over bags and ranks each bag's instances by attention. Local computation only. */
public final class Explainer {

    private final MilModel model;
    private final BagDataset data;

    public Explainer(MilModel model, BagDataset data) {
        this.model = model;
        this.data = data;
    }

    public BagExplanation explain(Bag bag) {
        float probability = model.predictProbabilities(List.of(bag))[0];
        float[] attention = model.attentionWeights(bag);
        float[] scores = model.instanceScores(bag);
        List<InstanceNames.Instance> names = InstanceNames.of(data, bag);
        if (attention.length != bag.instances() || scores.length != bag.instances()
                || names.size() != bag.instances()) {
            throw new IllegalStateException("bag '" + bag.id() + "' has " + bag.instances() + " instances but the "
                    + "model gave " + attention.length + " attention weights, " + scores.length + " scores and "
                    + names.size() + " names");
        }
        // largest attention first; equal weights keep row order, so ranks are reproducible
        Integer[] order = new Integer[bag.instances()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -attention[i]).thenComparingInt(i -> i));
        List<InstanceExplanation> ranked = new ArrayList<>(order.length);
        for (int r = 0; r < order.length; r++) {
            int i = order[r];
            InstanceNames.Instance instance = names.get(i);
            ranked.add(new InstanceExplanation(r + 1, i, instance.name(), instance.tile(), attention[i], scores[i]));
        }
        return new BagExplanation(bag.id(), bag.label(), probability, ranked);
    }
}
