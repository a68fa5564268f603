package org.fedmil.coordinator.aggregate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Byzantine-robust aggregation (Yin et al. 2018): the coordinate-wise median, or the coordinate-wise β-trimmed
 * mean (per coordinate, drop the ⌊βK⌋ largest and ⌊βK⌋ smallest of the K values, average the rest), of the
 * round's deltas, unweighted, applied as w ← w + aggregate. Not streaming: a round's updates are buffered, at most
 * {@code maxBufferedUpdates} of them (see {@link BufferedAggregator}).
 */
public final class RobustStrategy implements Strategy {

    private final BufferedAggregator.Rule rule;
    private final double trimFraction;
    private final int maxBufferedUpdates;

    private RobustStrategy(BufferedAggregator.Rule rule, double trimFraction, int maxBufferedUpdates) {
        if (maxBufferedUpdates < 1) {
            throw new IllegalArgumentException("max_buffered_updates must be at least 1, got " + maxBufferedUpdates);
        }
        this.rule = rule;
        this.trimFraction = trimFraction;
        this.maxBufferedUpdates = maxBufferedUpdates;
    }

    public static RobustStrategy median(int maxBufferedUpdates) {
        return new RobustStrategy(BufferedAggregator.Rule.MEDIAN, 0, maxBufferedUpdates);
    }

    /** @param trimFraction β in [0, 0.5): the fraction dropped at each end of every coordinate */
    public static RobustStrategy trimmedMean(double trimFraction, int maxBufferedUpdates) {
        if (!(trimFraction >= 0 && trimFraction < 0.5)) {
            throw new IllegalArgumentException("trim_fraction must be in [0, 0.5), got " + trimFraction);
        }
        return new RobustStrategy(BufferedAggregator.Rule.TRIMMED_MEAN, trimFraction, maxBufferedUpdates);
    }

    @Override
    public String name() {
        return rule == BufferedAggregator.Rule.MEDIAN ? "median" : "trimmed_mean";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        if (rule == BufferedAggregator.Rule.TRIMMED_MEAN) {
            p.put("trim_fraction", trimFraction);
        }
        p.put("max_buffered_updates", maxBufferedUpdates);
        p.put("weighting", "unweighted");
        return p;
    }

    @Override
    public boolean streaming() {
        return false;
    }

    public int maxBufferedUpdates() {
        return maxBufferedUpdates;
    }

    @Override
    public Aggregator beginRound(List<TensorSpec> specs) {
        return new BufferedAggregator(specs, rule, trimFraction, maxBufferedUpdates);
    }

    @Override
    public TensorSet finishRound(TensorSet global, Aggregate aggregate) {
        return aggregate.applyTo(global);
    }
}
