package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Byzantine-robust aggregation (Yin et al. 2018): the coordinate-wise median, or the coordinate-wise β-trimmed
 * mean (per coordinate, drop the ⌊βK⌋ largest and ⌊βK⌋ smallest of the K values, average the rest), of the
 * round's deltas, applied as w ← w + aggregate.
 *
 * <p>Both need every update of the round at once, so the round holds them all: O(K·P) memory for K updates of P
 * weights, bounded by {@code max_buffered_updates}; an update beyond the bound is {@link Strategy.Refused refused}.
 *
 * <p>Unweighted: every update counts once, whatever its bag count. A site's bag count is its own claim, and a
 * robust aggregate that weighted by it would let one site that claims many bags move the median as it likes.
 */
public final class RobustStrategy implements Strategy {

    /** median: max_buffered_updates (100). */
    public record MedianParams(Integer maxBufferedUpdates) {
        public MedianParams {
            maxBufferedUpdates = ParamRules.atLeast("max_buffered_updates", maxBufferedUpdates, 100, 1);
        }
    }

    /** trimmed_mean: trim_fraction (β, 0.2), max_buffered_updates (100). */
    public record TrimmedMeanParams(Double trimFraction, Integer maxBufferedUpdates) {
        public TrimmedMeanParams {
            trimFraction = ParamRules.inRange("trim_fraction", trimFraction, 0.2, 0, 0.5);
            maxBufferedUpdates = ParamRules.atLeast("max_buffered_updates", maxBufferedUpdates, 100, 1);
        }
    }

    public static final StrategyType<MedianParams> MEDIAN = new StrategyType<>("median", MedianParams.class,
            p -> median(p.maxBufferedUpdates()));
    public static final StrategyType<TrimmedMeanParams> TRIMMED_MEAN = new StrategyType<>("trimmed_mean",
            TrimmedMeanParams.class, p -> trimmedMean(p.trimFraction(), p.maxBufferedUpdates()));

    private enum Rule { MEDIAN, TRIMMED_MEAN }

    private final Rule rule;
    private final double trimFraction;
    private final int maxBufferedUpdates;
    private List<TensorSpec> specs;
    private List<TensorSet> buffered;

    private RobustStrategy(Rule rule, double trimFraction, int maxBufferedUpdates) {
        if (maxBufferedUpdates < 1) {
            throw new IllegalArgumentException("max_buffered_updates must be at least 1, got " + maxBufferedUpdates);
        }
        this.rule = rule;
        this.trimFraction = trimFraction;
        this.maxBufferedUpdates = maxBufferedUpdates;
    }

    public static RobustStrategy median(int maxBufferedUpdates) {
        return new RobustStrategy(Rule.MEDIAN, 0, maxBufferedUpdates);
    }

    /** @param trimFraction β in [0, 0.5): the fraction dropped at each end of every coordinate */
    public static RobustStrategy trimmedMean(double trimFraction, int maxBufferedUpdates) {
        if (!(trimFraction >= 0 && trimFraction < 0.5)) {
            throw new IllegalArgumentException("trim_fraction must be in [0, 0.5), got " + trimFraction);
        }
        return new RobustStrategy(Rule.TRIMMED_MEAN, trimFraction, maxBufferedUpdates);
    }

    @Override
    public String name() {
        return rule == Rule.MEDIAN ? "median" : "trimmed_mean";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        if (rule == Rule.TRIMMED_MEAN) {
            p.put("trim_fraction", trimFraction);
        }
        p.put("max_buffered_updates", maxBufferedUpdates);
        p.put("weighting", "unweighted");
        return p;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.INDIVIDUAL_UPDATES);
    }

    @Override
    public OptionalInt maxBufferedUpdates() {
        return OptionalInt.of(maxBufferedUpdates);
    }

    @Override
    public void beginRound(List<TensorSpec> roundSpecs) {
        specs = List.copyOf(roundSpecs);
        buffered = new ArrayList<>();
    }

    @Override
    public void accept(TensorSet delta, long trainingBags) {
        if (buffered == null) {
            throw new IllegalStateException("strategy " + name() + " has no open round: beginRound comes first");
        }
        if (trainingBags <= 0) {
            throw new IllegalArgumentException("an update must report a positive number of training bags, got " + trainingBags);
        }
        if (!delta.specs().equals(specs)) {
            throw new IllegalArgumentException("update tensors " + delta.specs() + " do not match the model's " + specs);
        }
        if (buffered.size() >= maxBufferedUpdates) {
            throw new Refused("this round already holds " + maxBufferedUpdates + " updates, the bound "
                    + "strategy.max_buffered_updates of the " + name() + " strategy, which keeps every update of a "
                    + "round in memory; the update was not counted (the operator may raise the bound)");
        }
        buffered.add(delta);
    }

    @Override
    public int updates() {
        return buffered == null ? 0 : buffered.size();
    }

    @Override
    public TensorSet finish(TensorSet global) {
        if (buffered == null || buffered.isEmpty()) {
            throw new IllegalStateException("no update was folded in: nothing to aggregate");
        }
        TensorSet next = aggregate().applyTo(global);
        buffered = null;
        return next;
    }

    /** How many values are dropped at each end of every coordinate's sorted values with {@code k} updates. */
    static int trimmedPerSide(int k, double trimFraction) {
        return (int) Math.floor(trimFraction * k);
    }

    private Aggregate aggregate() {
        int k = buffered.size();
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
}
