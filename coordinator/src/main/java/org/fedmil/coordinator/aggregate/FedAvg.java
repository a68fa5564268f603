package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Federated averaging (McMahan et al. 2017) weighted by training bag count: w ← w + Σ nₖΔₖ / Σ nₖ.
 * The weighted sum is kept in double precision: summing many float32 deltas in float loses the small ones.
 */
public final class FedAvg implements Aggregator {

    private final List<TensorSpec> specs;
    private final double[][] weightedSum;
    private long totalBags;
    private int updates;

    public FedAvg(List<TensorSpec> specs) {
        this.specs = List.copyOf(specs);
        this.weightedSum = new double[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            weightedSum[i] = new double[Math.toIntExact(specs.get(i).elementCount())];
        }
    }

    @Override
    public void accept(TensorSet delta, long trainingBags) {
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!delta.specs().equals(specs)) {
            throw new IllegalArgumentException("update tensors " + delta.specs() + " do not match the model's " + specs);
        }
        List<NamedTensor> tensors = delta.tensors();
        double weight = trainingBags;
        for (int i = 0; i < tensors.size(); i++) {
            float[] d = tensors.get(i).values();
            double[] acc = weightedSum[i];
            for (int j = 0; j < d.length; j++) {
                acc[j] += weight * d[j];
            }
        }
        totalBags += trainingBags;
        updates++;
    }

    /**
     * Folds the update straight from its received bytes: no decoded copy of the update is made, so the
     * coordinator holds the accumulator and the bytes, and the fold runs at about the speed of a plain sum
     * (docs/benchmarks.md).
     */
    @Override
    public void acceptWire(List<TensorSpec> wireSpecs, byte[] bytes, long trainingBags) {
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!wireSpecs.equals(specs)) {
            throw new IllegalArgumentException("update tensors " + wireSpecs + " do not match the model's " + specs);
        }
        if (bytes.length != TensorCodec.byteSize(specs)) {
            throw new IllegalArgumentException("update of " + bytes.length + " bytes, the model has "
                    + TensorCodec.byteSize(specs));
        }
        double weight = trainingBags;
        int at = 0;
        for (double[] acc : weightedSum) {
            for (int j = 0; j < acc.length; j++) {
                acc[j] += weight * TensorCodec.floatAt(bytes, at + j);
            }
            at += acc.length;
        }
        totalBags += trainingBags;
        updates++;
    }

    @Override
    public int updates() {
        return updates;
    }

    public long totalBags() {
        return totalBags;
    }

    /** The weighted mean delta Σ nₖΔₖ / Σ nₖ in double precision. */
    @Override
    public Aggregate aggregate() {
        if (updates == 0) {
            throw new IllegalStateException("no update was folded in: nothing to average");
        }
        double[][] mean = new double[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            double[] acc = weightedSum[i];
            double[] m = new double[acc.length];
            for (int j = 0; j < acc.length; j++) {
                m[j] = acc[j] / totalBags;
            }
            mean[i] = m;
        }
        return new Aggregate(specs, mean, updates);
    }

    @Override
    public TensorSet apply(TensorSet global) {
        if (updates == 0) {
            throw new IllegalStateException("no update was folded in: nothing to average");
        }
        if (!global.specs().equals(specs)) {
            throw new IllegalArgumentException("global model tensors " + global.specs() + " do not match " + specs);
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            NamedTensor g = global.tensors().get(i);
            float[] w = g.values().clone();
            double[] acc = weightedSum[i];
            for (int j = 0; j < w.length; j++) {
                w[j] = (float) (w[j] + acc[j] / totalBags);
            }
            out.add(new NamedTensor(g.name(), g.shape(), w));
        }
        return new TensorSet(out);
    }
}
