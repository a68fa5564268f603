package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.mil.eval.BinaryMetrics;

/**
 * The outcome of one round, as printed, persisted and shown to operators. Round 0 is the initial model.
 *
 * @param sites       the sites whose updates were aggregated, sorted
 * @param trainLoss   mean of the sites' local training losses weighted by their bag counts (NaN for round 0)
 * @param seconds     wall time from the round's start to the new model being evaluated and saved
 */
public record RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                          double trainLoss, BinaryMetrics heldout, double seconds) {

    public RoundResult {
        sites = List.copyOf(sites);
    }
}
