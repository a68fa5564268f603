package org.fedmil.bench.perf;

/**
 * One measured figure of docs/benchmarks.md, always next to a baseline measured in the same run, because absolute
 * times on shared machines drift and a ratio to a same-run baseline does not.
 *
 * @param id            stable id, e.g. {@code aggregation.throughput}
 * @param name          what was measured, for the table
 * @param value         the median of the repetitions after warm-up
 * @param unit          e.g. {@code MB/s}, {@code ms}, {@code MiB}
 * @param baseline      the same quantity for the in-run baseline (NaN when the figure has none, e.g. a peak heap)
 * @param baselineName  what the baseline is, e.g. "plain float[] sum over the same bytes"
 * @param target        the target for {@link #ratio()} (NaN when none)
 * @param higherIsBetter whether a larger ratio is better (throughput) or worse (time, memory)
 * @param note          how it was measured: repetitions, sizes, anything a reader needs
 */
public record Figure(String id, String name, double value, String unit, double baseline, String baselineName,
                     double target, boolean higherIsBetter, String note) {

    /** value / baseline. */
    public double ratio() {
        return value / baseline;
    }

    /** True, false, or null when there is no target. */
    public Boolean met() {
        if (Double.isNaN(target) || Double.isNaN(baseline)) {
            return null;
        }
        return higherIsBetter ? ratio() >= target : ratio() <= target;
    }
}
