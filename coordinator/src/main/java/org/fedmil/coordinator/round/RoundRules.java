package org.fedmil.coordinator.round;

import java.time.Duration;
import org.fedmil.coordinator.aggregate.StrategySettings;

/**
 * What makes a round count, and what may be in an update.
 *
 * @param minUpdates   updates a round needs to be aggregated; fewer at the deadline and the round is retried or
 *                     skipped, never aggregated
 * @param deadlineMillis how long a round stays open; 0 for no deadline (the round waits for every participant)
 * @param onShortRound what to do with a round that reached its deadline with fewer than minUpdates updates
 * @param maxUpdateL2Norm  an update whose delta has a larger L2 norm (over all tensors) is refused
 * @param maxSiteShare     the largest share of a round's total FedAvg weight one site may have, in (0, 1]; 1 for
 *                         no cap ({@link RoundWeights})
 * @param maxNormToMedian  m: a delta whose norm exceeds m × the previous round's median norm is refused; 0 for no
 *                         relative bound ({@link NormReference})
 */
public record RoundRules(int minUpdates, long deadlineMillis, ShortRound onShortRound, double maxUpdateL2Norm,
                         double maxSiteShare, double maxNormToMedian) {

    public static final double DEFAULT_MAX_SITE_SHARE = StrategySettings.DEFAULT_MAX_SITE_SHARE;
    public static final double DEFAULT_MAX_NORM_TO_MEDIAN = StrategySettings.DEFAULT_MAX_NORM_TO_MEDIAN;

    public RoundRules {
        if (!(maxSiteShare > 0 && maxSiteShare <= 1)) {
            throw new IllegalArgumentException("max_site_share must be in (0, 1], got " + maxSiteShare);
        }
        if (!(maxNormToMedian == 0 || maxNormToMedian >= 1) || Double.isInfinite(maxNormToMedian)) {
            throw new IllegalArgumentException("max_norm_to_median must be 0 (off) or a finite number of at least 1, got "
                    + maxNormToMedian);
        }
    }

    /** With the default share cap and relative norm bound. */
    public RoundRules(int minUpdates, long deadlineMillis, ShortRound onShortRound, double maxUpdateL2Norm) {
        this(minUpdates, deadlineMillis, onShortRound, maxUpdateL2Norm, DEFAULT_MAX_SITE_SHARE,
                DEFAULT_MAX_NORM_TO_MEDIAN);
    }

    /** These rules with another share cap and relative norm bound. */
    public RoundRules withInfluenceBounds(double siteShare, double normToMedian) {
        return new RoundRules(minUpdates, deadlineMillis, onShortRound, maxUpdateL2Norm, siteShare, normToMedian);
    }

    public Duration deadline() {
        return Duration.ofMillis(deadlineMillis);
    }

    public enum ShortRound {
        /** Run the same round again from the same global model, asking every joined site. */
        RETRY,
        /** Record the round as skipped and go on to the next one from the same global model. */
        SKIP;

        public static ShortRound fromConfigName(String name) {
            return switch (name) {
                case "retry" -> RETRY;
                case "skip" -> SKIP;
                default -> throw new IllegalArgumentException("'" + name + "' is not a short-round policy; use retry or skip");
            };
        }
    }

    /** Every participant, no deadline, no norm bound: the behaviour before rounds had rules. */
    public static RoundRules waitForAll(int minUpdates) {
        return new RoundRules(minUpdates, 0, ShortRound.RETRY, Double.POSITIVE_INFINITY, DEFAULT_MAX_SITE_SHARE,
                DEFAULT_MAX_NORM_TO_MEDIAN);
    }
}
