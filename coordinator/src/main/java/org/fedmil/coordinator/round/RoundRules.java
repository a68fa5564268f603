package org.fedmil.coordinator.round;

import java.time.Duration;

/**
 * What makes a round count, and what may be in an update.
 *
 * @param minUpdates   updates a round needs to be aggregated; fewer at the deadline and the round is retried or
 *                     skipped, never aggregated
 * @param deadlineMillis how long a round stays open; 0 for no deadline (the round waits for every participant)
 * @param onShortRound what to do with a round that reached its deadline with fewer than minUpdates updates
 * @param maxUpdateL2Norm  an update whose delta has a larger L2 norm (over all tensors) is refused
 */
public record RoundRules(int minUpdates, long deadlineMillis, ShortRound onShortRound, double maxUpdateL2Norm) {

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
        return new RoundRules(minUpdates, 0, ShortRound.RETRY, Double.POSITIVE_INFINITY);
    }
}
