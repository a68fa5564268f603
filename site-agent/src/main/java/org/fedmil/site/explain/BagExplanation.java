package org.fedmil.site.explain;

import java.util.List;

/**
 * One bag as the model sees it: its label, the probability the model gives it, and its instances ranked by
 * attention.
 *
 * @param instances every instance of the bag, rank 1 first
 */
public record BagExplanation(String bagId, int label, float probability, List<InstanceExplanation> instances) {

    public BagExplanation {
        instances = List.copyOf(instances);
    }

    /** The instance the model attended to most. */
    public InstanceExplanation top() {
        return instances.get(0);
    }
}
