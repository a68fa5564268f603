package org.fedmil.coordinator.round;

import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;

/**
 * What the operator decided for this federation: who must be present, how many rounds, what every site trains.
 *
 * @param siteEvaluation whether every site evaluates the final model on its own bags before it is stopped
 */
public record FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                             boolean siteEvaluation) {

    /** Hyper-parameters sent with every train task; each site weighs the loss by its own label counts. */
    public record TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                               LossConfig loss) {
    }
}
