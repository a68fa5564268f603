package org.fedmil.site.predict;

import java.util.List;
import org.fedmil.site.explain.InstanceExplanation;

/**
 * What a model says of one bag: its probability, the decision at the threshold, and its instances ranked by
 * attention (rank 1 first).
 *
 * @param label the bag's label when it has one, else -1
 */
public record Prediction(String bagId, int label, float probability, int decision,
                         List<InstanceExplanation> instances) {

    public Prediction {
        instances = List.copyOf(instances);
    }

    /** The {@code n} instances attended to most. */
    public List<InstanceExplanation> top(int n) {
        return instances.subList(0, Math.min(n, instances.size()));
    }
}
