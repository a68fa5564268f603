package org.fedmil.secagg;

import java.util.List;
import java.util.Map;

/**
 * What the coordinator learns from a finished round: the unmasked sum Σ n_k · x_k of the survivors' encoded deltas
 * in Z_2^64, their total bag count, who survived and who dropped, and which helpers sent shares that did not lie on
 * the owner's sharing polynomial (by site, with the reason).
 */
public record SecAggResult(long[] sum, long totalBags, List<String> survivors, List<String> dropped,
                           Map<String, String> badShares, SecAggParameters parameters) {

    public SecAggResult {
        sum = sum.clone();
        survivors = List.copyOf(survivors);
        dropped = List.copyOf(dropped);
        badShares = Map.copyOf(badShares);
    }

    @Override
    public long[] sum() {
        return sum.clone();
    }

    /** The bag-weighted mean delta, within {@link SecAggParameters#meanErrorBound()} per coordinate. */
    public float[] mean() {
        return FixedPoint.decodeMean(sum, totalBags, parameters);
    }
}
