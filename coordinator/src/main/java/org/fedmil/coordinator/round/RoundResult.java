package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.mil.eval.BinaryMetrics;

/**
 * The outcome of one round, as printed, persisted and shown to operators. Round 0 is the initial model.
 *
 * @param sites       the sites whose updates were aggregated, sorted
 * @param trainLoss   mean of the sites' local training losses weighted by their bag counts (NaN for round 0)
 * @param seconds     wall time from the round's start to the new model being evaluated and saved
 * @param validation  the sites' validation, in this round's uploads, of the model the round started from (round
 *                    r−1's); null when no site reported one (and for round 0)
 */
public record RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                          double trainLoss, BinaryMetrics heldout, double seconds, FederatedValidation validation) {

    public RoundResult {
        sites = List.copyOf(sites);
    }

    /** Without validation. */
    public RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                       double trainLoss, BinaryMetrics heldout, double seconds) {
        this(round, modelVersion, modelSha256, sites, trainingBags, trainLoss, heldout, seconds, null);
    }
}
