package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.List;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tensor.WireFloats;

/**
 * One round's bag-weighted mean of the deltas, Σ nₖΔₖ / Σ nₖ, folded in one update at a time in O(model) memory:
 * the arithmetic of every strategy that is linear in the updates ({@link MeanStrategy}: FedAvg, FedProx, FedOpt,
 * FedAvgM). A new instance is made for every round.
 *
 * <p><b>Numerics.</b> The weighted sum Σ nₖΔₖ is kept in float32, one float per parameter, and divided by Σ nₖ in
 * double at the end. A float accumulator halves the coordinator's heap against a double one and lets the fold run at
 * the speed of a plain float sum (reading 12 bytes per parameter instead of 20: the fold is memory-bound,
 * docs/benchmarks.md). The price is rounding: by the standard bound for recursive summation, the mean of K updates is
 * off the exact one by at most γ_{K+1} · Σ nₖ|Δₖ| / Σ nₖ per parameter, γ_m = m·u / (1 − m·u), u = 2⁻²⁴
 * (the products nₖΔₖ are rounded once and the K sums once each); for K = 64 that is 3.9e-6 of the mean absolute
 * delta, in practice (errors of both signs) much less. The new model is float32 anyway: w + mean is rounded to
 * u·|w|, and deltas are normally far smaller than the weights, so the summation error is below the model's own
 * rounding (FedAvgTest pins both with 64 and 500 updates of mixed magnitudes against an exact reference). What
 * float loses is a contribution below 2⁻²⁴ of the running sum at its parameter, which the float32 model could not
 * hold either. Bag counts become float weights (exact up to 2²⁴ bags per update). The sum overflows only if
 * Σ nₖ|Δₖ| passes 3.4e38 (with the default {@code limits.max_update_l2_norm} of 1e4, never below 3e34 bags); then
 * {@link #mean} and {@link #applyTo} refuse to produce a model rather than hand out an infinite one.
 */
final class WeightedMean {

    private final List<TensorSpec> specs;
    private final float[][] weightedSum;
    private long totalBags;
    private int updates;
    /** Set once the sum's arrays became the new weights ({@link #takeAppliedTo}). */
    private boolean usedUp;
    /** Why the sum holds part of an update (a read failed mid-fold); null while it is whole. */
    private String broken;

    WeightedMean(List<TensorSpec> specs) {
        this.specs = List.copyOf(specs);
        this.weightedSum = new float[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            weightedSum[i] = new float[Math.toIntExact(specs.get(i).elementCount())];
        }
    }

    /** Folds in one site's delta, weighted by the number of bags it trained on. */
    void accept(TensorSet delta, long trainingBags) {
        requireOpen();
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!delta.specs().equals(specs)) {
            throw new IllegalArgumentException("update tensors " + delta.specs() + " do not match the model's " + specs);
        }
        List<NamedTensor> tensors = delta.tensors();
        float weight = trainingBags;
        for (int i = 0; i < tensors.size(); i++) {
            float[] d = tensors.get(i).values();
            float[] acc = weightedSum[i];
            for (int j = 0; j < d.length; j++) {
                acc[j] += weight * d[j];
            }
        }
        totalBags = Math.addExact(totalBags, trainingBags);
        updates++;
    }

    /**
     * Folds the update straight from its received bytes: no decoded copy of the update is made, so the
     * coordinator holds the accumulator and the bytes, and the fold runs at about the speed of a plain sum
     * ({@link WireFloats}, docs/benchmarks.md). Gives the same floats as {@link #accept} of the decoded update.
     */
    void acceptWire(List<TensorSpec> wireSpecs, byte[] bytes, long trainingBags) {
        acceptWire(wireSpecs, UpdateBytes.of(bytes), trainingBags); // the whole array is its one piece
    }

    /**
     * As {@link #acceptWire(List, byte[], long)}, reading the update a piece at a time (from its spool file): the
     * coordinator holds the accumulator and one piece, never the whole update. The same floats as the whole-array
     * fold. If a piece cannot be read after part of the update was folded, the sum is no longer any round's: it is
     * marked broken and refuses to fold or give a model again, so that no model is made from half an update (a
     * restarted coordinator runs the round again from the same model).
     */
    void acceptWire(List<TensorSpec> wireSpecs, UpdateBytes bytes, long trainingBags) {
        requireOpen();
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!wireSpecs.equals(specs)) {
            throw new IllegalArgumentException("update tensors " + wireSpecs + " do not match the model's " + specs);
        }
        if (bytes.size() != TensorCodec.byteSize(specs)) {
            throw new IllegalArgumentException("update of " + bytes.size() + " bytes, the model has "
                    + TensorCodec.byteSize(specs));
        }
        float weight = trainingBags;
        int[] at = {0, 0}; // tensor, element
        try {
            bytes.forEachPiece((piece, length) -> {
                int floats = length / 4;
                int from = 0;
                while (from < floats) {
                    float[] acc = weightedSum[at[0]];
                    int n = Math.min(floats - from, acc.length - at[1]);
                    WireFloats.addScaled(acc, at[1], n, piece, from, weight);
                    from += n;
                    at[1] += n;
                    if (at[1] == acc.length) {
                        at[0]++;
                        at[1] = 0;
                    }
                }
            });
        } catch (RuntimeException e) {
            broken = "an update could not be read after part of it was folded in (" + e.getMessage() + ")";
            throw e;
        }
        totalBags = Math.addExact(totalBags, trainingBags);
        updates++;
    }

    int updates() {
        return updates;
    }

    long totalBags() {
        return totalBags;
    }

    /** The weighted mean delta Σ nₖΔₖ / Σ nₖ, the float32 sum divided in double precision. */
    Aggregate mean() {
        requireOpen();
        if (updates == 0) {
            throw new IllegalStateException("no update was folded in: nothing to average");
        }
        double[][] mean = new double[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            float[] acc = weightedSum[i];
            double[] m = new double[acc.length];
            for (int j = 0; j < acc.length; j++) {
                if (!Float.isFinite(acc[j])) {
                    throw overflow(i, j);
                }
                m[j] = acc[j] / (double) totalBags;
            }
            mean[i] = m;
        }
        return new Aggregate(specs, mean, updates);
    }

    /**
     * w + mean, the float32 sum divided and added in double and rounded once to float: FedAvg's step, without a
     * double copy of the mean. Leaves {@code global} untouched.
     */
    TensorSet applyTo(TensorSet global) {
        return apply(global, false);
    }

    /**
     * As {@link #applyTo}, but the new weights are written into this sum's own arrays and handed out, and the mean is
     * used up (folding or applying it again is refused): while a round closes the coordinator then holds the old and
     * the new model, not the sum besides. For the strategy's step at the end of a round, after which the mean is
     * dropped.
     */
    TensorSet takeAppliedTo(TensorSet global) {
        TensorSet next = apply(global, true);
        usedUp = true;
        return next;
    }

    private TensorSet apply(TensorSet global, boolean inPlace) {
        requireOpen();
        if (updates == 0) {
            throw new IllegalStateException("no update was folded in: nothing to average");
        }
        if (!global.specs().equals(specs)) {
            throw new IllegalArgumentException("global model tensors " + global.specs() + " do not match " + specs);
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            NamedTensor g = global.tensors().get(i);
            float[] old = g.values();
            float[] acc = weightedSum[i];
            float[] w = inPlace ? acc : new float[old.length];
            for (int j = 0; j < w.length; j++) {
                if (!Float.isFinite(acc[j])) {
                    throw overflow(i, j);
                }
                w[j] = (float) (old[j] + acc[j] / (double) totalBags);
            }
            out.add(new NamedTensor(g.name(), g.shape(), w));
        }
        return new TensorSet(out);
    }

    private void requireOpen() {
        if (broken != null) {
            throw new IllegalStateException("this round's sum is broken: " + broken + "; no model is made from it. "
                    + "Check the state folder's disk and restart the coordinator: the round runs again from the same "
                    + "model");
        }
        if (usedUp) {
            throw new IllegalStateException("this round's mean was applied in place and is used up; a new round "
                    + "begins with a new mean");
        }
    }

    // every folded value was finite (FederationRun refuses others), so a non-finite sum is float32 overflow
    private IllegalStateException overflow(int tensor, int element) {
        return new IllegalStateException("the weighted sum of the round's " + updates + " updates overflowed float32 at "
                + specs.get(tensor).name() + "[" + element + "]: Σ bags × |delta| passed 3.4e38; no model is made "
                + "from it. Deltas this large mean diverged training: lower limits.max_update_l2_norm so that such "
                + "updates are refused");
    }
}
