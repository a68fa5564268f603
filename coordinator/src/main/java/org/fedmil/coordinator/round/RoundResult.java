package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningWarning;

/**
 * The outcome of one round, as printed, persisted and shown to operators. Round 0 is the initial model.
 *
 * @param sites        the sites whose updates were aggregated, sorted
 * @param trainLoss    mean of the sites' local training losses weighted by their bag counts (NaN for round 0)
 * @param seconds      wall time from the round's start to the new model being evaluated and saved
 * @param heldoutAucCi the held-out AUC's bootstrap 95 % interval (NaN bounds when the AUC is undefined); null when
 *                     not computed (rounds recorded before it was)
 * @param warnings     what {@link org.fedmil.mil.eval.LearningCheck} found wrong with this round's model or data
 * @param validation   the sites' validation, in this round's uploads, of the model the round started from (round
 *                     r−1's); null when no site reported one (and for round 0)
 */
public record RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                          double trainLoss, BinaryMetrics heldout, double seconds, AucInterval heldoutAucCi,
                          List<LearningWarning> warnings, FederatedValidation validation) {

    public RoundResult {
        sites = List.copyOf(sites);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** Without an AUC interval, warnings or validation. */
    public RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                       double trainLoss, BinaryMetrics heldout, double seconds) {
        this(round, modelVersion, modelSha256, sites, trainingBags, trainLoss, heldout, seconds, null, List.of(),
                null);
    }

    /** Without validation. */
    public RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                       double trainLoss, BinaryMetrics heldout, double seconds, AucInterval heldoutAucCi,
                       List<LearningWarning> warnings) {
        this(round, modelVersion, modelSha256, sites, trainingBags, trainLoss, heldout, seconds, heldoutAucCi,
                warnings, null);
    }

    /** Without an AUC interval or warnings. */
    public RoundResult(int round, long modelVersion, String modelSha256, List<String> sites, long trainingBags,
                       double trainLoss, BinaryMetrics heldout, double seconds, FederatedValidation validation) {
        this(round, modelVersion, modelSha256, sites, trainingBags, trainLoss, heldout, seconds, null, List.of(),
                validation);
    }
}
