package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * A round's aggregated delta, in double precision, as a {@link Strategy}'s server step receives it: the weighted
 * mean of the deltas for FedAvg-like strategies, the coordinate-wise median or trimmed mean for robust ones.
 *
 * @param delta   one array per tensor, in the model's tensor order
 * @param updates how many updates went into it
 */
public record Aggregate(List<TensorSpec> specs, double[][] delta, int updates) {

    public Aggregate {
        specs = List.copyOf(specs);
        if (delta.length != specs.size()) {
            throw new IllegalArgumentException("aggregate has " + delta.length + " tensors, the model " + specs.size());
        }
    }

    /** w + delta, summed in double and rounded once to float: FedAvg's arithmetic. Leaves {@code global} untouched. */
    public TensorSet applyTo(TensorSet global) {
        if (!global.specs().equals(specs)) {
            throw new IllegalArgumentException("global model tensors " + global.specs() + " do not match " + specs);
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            NamedTensor g = global.tensors().get(i);
            float[] w = g.values().clone();
            double[] d = delta[i];
            for (int j = 0; j < w.length; j++) {
                w[j] = (float) (w[j] + d[j]);
            }
            out.add(new NamedTensor(g.name(), g.shape(), w));
        }
        return new TensorSet(out);
    }
}
