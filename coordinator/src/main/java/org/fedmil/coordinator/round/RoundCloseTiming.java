package org.fedmil.coordinator.round;

/**
 * Where the coordinator's time went while it closed one round, between the last update and the next round's
 * tasks: what the round-overhead benchmark reports by part (docs/benchmarks.md).
 *
 * @param aggregateSeconds the server step and the new model's wire form and SHA-256 (for a securely aggregated round
 *                         also rebuilding the secrets and unmasking the sum)
 * @param evaluateSeconds  the held-out evaluation of the new model
 * @param recordSeconds    the listeners: model and metrics files, the round log (fsyncs), the dashboard
 */
public record RoundCloseTiming(int round, double aggregateSeconds, double evaluateSeconds, double recordSeconds) {
}
