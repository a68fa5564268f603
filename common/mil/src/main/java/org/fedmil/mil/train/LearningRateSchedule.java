package org.fedmil.mil.train;

import org.fedmil.config.ConfigName;

import java.util.List;

/**
 * How the learning rate moves over a federation's rounds (training.schedule). A site starts every round with a
 * fresh optimiser and no memory of earlier rounds, so no schedule may live on a site: its position comes from
 * the round number the coordinator sends with each task, and anything that depends on history (the held-out
 * loss, for reduce-on-plateau) is decided by the coordinator, which keeps that history in metrics.json and reads
 * it back after a restart. Every rate here is therefore a pure function of (round, rounds, step in the round,
 * held-out losses so far): the same inputs give the same rate before and after a restart.
 *
 * @param kind            constant (the default), cosine, or reduce_on_plateau
 * @param warmupRounds    cosine: rounds of linear warm-up from 0 to the base rate (may be fractional, e.g. 0.5)
 * @param minLearningRate cosine: the rate the cosine ends at; reduce_on_plateau: the floor of the reductions
 * @param factor          reduce_on_plateau: each reduction multiplies the rate by this, in (0, 1)
 * @param patience        reduce_on_plateau: rounds without improvement tolerated before a reduction
 * @param threshold       reduce_on_plateau: relative improvement that counts, loss &lt; best · (1 − threshold)
 */
public record LearningRateSchedule(Kind kind, double warmupRounds, double minLearningRate, double factor,
                                   int patience, double threshold) {

    /** The base rate in every step of every round: training as it was before schedules. */
    public static final LearningRateSchedule CONSTANT = new LearningRateSchedule(Kind.CONSTANT, 0, 0, 0.5, 2, 1e-4);

    public LearningRateSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("schedule kind is required");
        }
        if (!(warmupRounds >= 0) || Double.isInfinite(warmupRounds)) {
            throw new IllegalArgumentException("warmup_rounds must be 0 or more, got " + warmupRounds);
        }
        if (!(minLearningRate >= 0) || Double.isInfinite(minLearningRate)) {
            throw new IllegalArgumentException("min_learning_rate must be 0 or more, got " + minLearningRate);
        }
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("factor must be in (0, 1), got " + factor);
        }
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be 0 or more rounds, got " + patience);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in [0, 1), got " + threshold);
        }
    }

    public static LearningRateSchedule cosine(double warmupRounds, double minLearningRate) {
        return new LearningRateSchedule(Kind.COSINE, warmupRounds, minLearningRate, CONSTANT.factor,
                CONSTANT.patience, CONSTANT.threshold);
    }

    public static LearningRateSchedule reduceOnPlateau(double factor, int patience, double threshold,
                                                       double minLearningRate) {
        return new LearningRateSchedule(Kind.REDUCE_ON_PLATEAU, 0, minLearningRate, factor, patience, threshold);
    }

    public enum Kind implements ConfigName {
        /** The base rate throughout. */
        CONSTANT("constant"),
        /** Linear warm-up, then cosine annealing to min_learning_rate at the end of the last round, step by step. */
        COSINE("cosine"),
        /** The coordinator multiplies the rate by factor when its held-out loss has not improved for patience rounds. */
        REDUCE_ON_PLATEAU("reduce_on_plateau");

        private final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        @Override
        public String configName() {
            return configName;
        }

        public static Kind fromConfigName(String name) {
            return ConfigName.parse(Kind.class, name, CONSTANT, "learning-rate schedule");
        }
    }

    /** Why the schedule cannot run a federation of {@code rounds} rounds; empty if it can. */
    public java.util.Optional<String> problemFor(int rounds, double baseRate) {
        if (kind == Kind.COSINE && !(warmupRounds < rounds)) {
            return java.util.Optional.of("warmup_rounds (" + warmupRounds + ") must be fewer than the federation's "
                    + rounds + " rounds, or the cosine never starts");
        }
        if (kind != Kind.CONSTANT && !(minLearningRate < baseRate)) {
            return java.util.Optional.of("min_learning_rate (" + minLearningRate + ") must be below the learning "
                    + "rate (" + baseRate + ")");
        }
        return java.util.Optional.empty();
    }

    /**
     * The cosine schedule's rate at {@code position} rounds of training done (0 at the first step of round 1,
     * {@code rounds} at the end of the last round): base · position / warm-up during warm-up, then
     * min + (base − min) · ½ (1 + cos(π · (position − warm-up) / (rounds − warm-up))). The step at position 0 has
     * rate 0 when there is a warm-up, as in the usual step-based warm-up.
     */
    public double cosineRate(double base, double position, int rounds) {
        if (position < warmupRounds) {
            return base * position / warmupRounds;
        }
        double progress = Math.min(1, (position - warmupRounds) / (rounds - warmupRounds));
        return minLearningRate + (base - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /**
     * Reduce-on-plateau's rate for the next round, replaying the held-out losses of the rounds completed so far
     * in order (round 0, the initial model, first), as PyTorch's ReduceLROnPlateau does in mode "min" with a
     * relative threshold: a loss below best · (1 − threshold) is an improvement; after more than
     * {@code patience} rounds without one the rate is multiplied by {@code factor} (not below min_learning_rate)
     * and the count starts again. A NaN loss (an empty held-out set) is no evidence and is skipped.
     */
    public double plateauRate(double base, List<Double> heldoutLosses) {
        double rate = base;
        double best = Double.POSITIVE_INFINITY;
        int bad = 0;
        for (double loss : heldoutLosses) {
            if (Double.isNaN(loss)) {
                continue;
            }
            if (loss < best * (1 - threshold)) {
                best = loss;
                bad = 0;
            } else {
                bad++;
            }
            if (bad > patience) {
                rate = Math.max(rate * factor, minLearningRate);
                bad = 0;
            }
        }
        return rate;
    }

    /**
     * The rates of one site's steps in {@code round} (1-based) of {@code rounds}, from the base rate (for
     * reduce-on-plateau: the rate the coordinator decided for this round, which is constant within it).
     */
    public StepRates forRound(double base, int round, int rounds) {
        if (kind != Kind.COSINE) {
            return StepRates.constant(base);
        }
        if (round < 1 || round > rounds) {
            throw new IllegalArgumentException("round " + round + " is outside the federation's 1.." + rounds);
        }
        return (step, steps) -> cosineRate(base, (round - 1) + (double) step / steps, rounds);
    }
}
