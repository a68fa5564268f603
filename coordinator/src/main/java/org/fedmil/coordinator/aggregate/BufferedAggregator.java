package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Coordinate-wise median or trimmed mean of a round's deltas. Both need every update of the round at once, so this
 * aggregator holds them all: O(K·P) memory for K updates of P weights, bounded by {@code maxUpdates}; an update
 * beyond the bound is {@link Aggregator.Refused refused}.
 *
 * <p>Unweighted: every update counts once, whatever its bag count. A site's bag count is its own claim, and a
 * robust aggregate that weighted by it would let one site that claims many bags move the median as it likes.
 */
final class BufferedAggregator implements Aggregator {

    enum Rule { MEDIAN, TRIMMED_MEAN }

    private final List<TensorSpec> specs;
    private final Rule rule;
    private final double trimFraction;
    private final int maxUpdates;
    private final List<TensorSet> buffered = new ArrayList<>();

    BufferedAggregator(List<TensorSpec> specs, Rule rule, double trimFraction, int maxUpdates) {
        this.specs = List.copyOf(specs);
        this.rule = rule;
        this.trimFraction = trimFraction;
        this.maxUpdates = maxUpdates;
    }

    @Override
    public void accept(TensorSet delta, long trainingBags) {
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!delta.specs().equals(specs)) {
            throw new IllegalArgumentException("update tensors " + delta.specs() + " do not match the model's " + specs);
        }
        if (buffered.size() >= maxUpdates) {
            throw new Refused("this round already holds " + maxUpdates + " updates, the bound "
                    + "strategy.max_buffered_updates of the " + (rule == Rule.MEDIAN ? "median" : "trimmed_mean")
                    + " strategy, which keeps every update of a round in memory; the update was not counted "
                    + "(the operator may raise the bound)");
        }
        buffered.add(delta);
    }

    @Override
    public int updates() {
        return buffered.size();
    }

    /** How many values are dropped at each end of every coordinate's sorted values with {@code k} updates. */
    static int trimmedPerSide(int k, double trimFraction) {
        return (int) Math.floor(trimFraction * k);
    }

    @Override
    public Aggregate aggregate() {
        int k = buffered.size();
        if (k == 0) {
            throw new IllegalStateException("no update was folded in: nothing to aggregate");
        }
        int cut = rule == Rule.TRIMMED_MEAN ? trimmedPerSide(k, trimFraction) : 0;
        double[][] out = new double[specs.size()][];
        double[] column = new double[k];
        for (int i = 0; i < specs.size(); i++) {
            int n = Math.toIntExact(specs.get(i).elementCount());
            double[] a = new double[n];
            for (int j = 0; j < n; j++) {
                for (int u = 0; u < k; u++) {
                    column[u] = buffered.get(u).tensors().get(i).values()[j];
                }
                Arrays.sort(column);
                if (rule == Rule.MEDIAN) {
                    a[j] = k % 2 == 1 ? column[k / 2] : (column[k / 2 - 1] + column[k / 2]) / 2;
                } else {
                    double sum = 0;
                    for (int u = cut; u < k - cut; u++) {
                        sum += column[u];
                    }
                    a[j] = sum / (k - 2 * cut);
                }
            }
            out[i] = a;
        }
        return new Aggregate(specs, out, k);
    }

    @Override
    public TensorSet apply(TensorSet global) {
        return aggregate().applyTo(global);
    }
}
