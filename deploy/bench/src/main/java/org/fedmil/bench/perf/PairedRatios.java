package org.fedmil.bench.perf;

import java.util.Arrays;
import java.util.Locale;

/**
 * The spread of a ratio measured pair by pair: repetition i of the product against repetition i of its baseline,
 * run back to back, so that a neighbour's load on a shared machine falls on both halves of a pair. The median of the
 * pair ratios is the figure; the minimum and maximum say how far one pair can stray from it, which a ratio of two
 * medians hides.
 *
 * @param ratios every pair's product/baseline, in the order measured
 */
public record PairedRatios(double[] ratios) {

    public PairedRatios {
        if (ratios.length == 0) {
            throw new IllegalArgumentException("no pairs measured");
        }
        ratios = ratios.clone();
    }

    /** Pair i is {@code product[i] / baseline[i]}; both arrays hold rates (higher is better) of the same pairs. */
    public static PairedRatios of(double[] product, double[] baseline) {
        if (product.length != baseline.length) {
            throw new IllegalArgumentException(product.length + " product repetitions against " + baseline.length
                    + " baseline repetitions: pairs need one of each");
        }
        double[] r = new double[product.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = product[i] / baseline[i];
        }
        return new PairedRatios(r);
    }

    public double median() {
        return Medians.median(ratios);
    }

    public double min() {
        return Arrays.stream(ratios).min().orElseThrow();
    }

    public double max() {
        return Arrays.stream(ratios).max().orElseThrow();
    }

    /** Pairs whose ratio is at least {@code target}. */
    public long atLeast(double target) {
        return Arrays.stream(ratios).filter(r -> r >= target).count();
    }

    /** e.g. "median 1.05 (min 0.93, max 1.12, 14 of 15 pairs ≥ 1.00)", for the log and the table's notes. */
    public String summary(double target) {
        return String.format(Locale.ROOT, "median %.3f (min %.3f, max %.3f, %d of %d pairs ≥ %.2f)", median(), min(),
                max(), atLeast(target), ratios.length, target);
    }
}
