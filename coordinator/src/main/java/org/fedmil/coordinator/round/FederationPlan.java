package org.fedmil.coordinator.round;

import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;

/**
 * What the operator decided for this federation: who must be present, how many rounds, what every site trains.
 *
 * @param siteEvaluation whether every site evaluates the final model on its own bags before it is stopped
 * @param rules          quorum, deadline and update bounds of every round
 */
public record FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                             boolean siteEvaluation, RoundRules rules) {

    /** A plan whose rounds wait for every participant, without deadline or norm bound. */
    public FederationPlan(String federationId, int minSites, int rounds, ModelSpec model, TrainingPlan training,
                          boolean siteEvaluation) {
        this(federationId, minSites, rounds, model, training, siteEvaluation, RoundRules.waitForAll(minSites));
    }

    /** Hyper-parameters sent with every train task; each site weighs the loss by its own label counts. */
    public record TrainingPlan(int localEpochs, double learningRate, double weightDecay, long seed,
                               LossConfig loss) {
    }
}
