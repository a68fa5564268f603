package org.fedmil.coordinator.round;

/**
 * Where the coordinator's time went while it closed one round, from its last update in: what the round-overhead
 * benchmark reports by part (docs/benchmarks.md). The save and the held-out evaluation run side by side, and, in a
 * round aggregated in the clear, while the next round already runs: {@code openedAfterSeconds} is what the next
 * round's downloads wait for, {@code recordedAfterSeconds} when the round's record was written.
 *
 * @param aggregateSeconds     the server step and the new model's SHA-256 (for a securely aggregated round also
 *                             rebuilding the secrets and unmasking the sum)
 * @param evaluateSeconds      the held-out evaluation of the new model
 * @param recordSeconds        the listeners' record of the round: metrics.json, the round log (fsyncs), the dashboard
 * @param saveSeconds          writing the new model's file (temporary file, fsync, rename)
 * @param openedAfterSeconds   from the last update in to the new model served and the next round open (NaN when no
 *                             round followed on the spot: the last round, a pause)
 * @param recordedAfterSeconds from the last update in to the round's record written
 */
public record RoundCloseTiming(int round, double aggregateSeconds, double evaluateSeconds, double recordSeconds,
                               double saveSeconds, double openedAfterSeconds, double recordedAfterSeconds) {
}
