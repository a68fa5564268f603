package org.fedmil.coordinator.config;

import org.fedmil.mil.train.LearningRateSchedule;

/**
 * training.schedule: how the learning rate moves over the rounds.
 *
 * @param kind            constant (default), cosine or reduce_on_plateau
 * @param warmupRounds    cosine: rounds of linear warm-up
 * @param minLearningRate cosine: the final rate; reduce_on_plateau: the floor
 * @param factor          reduce_on_plateau: multiplier of each reduction
 * @param patience        reduce_on_plateau: rounds without held-out improvement before a reduction
 * @param threshold       reduce_on_plateau: relative improvement that counts
 */
public record Schedule(String kind, Double warmupRounds, Double minLearningRate, Double factor, Integer patience,
                       Double threshold) {

    public Schedule {
        LearningRateSchedule d = LearningRateSchedule.CONSTANT;
        kind = kind == null ? d.kind().configName() : kind;
        warmupRounds = warmupRounds == null ? d.warmupRounds() : warmupRounds;
        minLearningRate = minLearningRate == null ? d.minLearningRate() : minLearningRate;
        factor = factor == null ? d.factor() : factor;
        patience = patience == null ? d.patience() : patience;
        threshold = threshold == null ? d.threshold() : threshold;
    }

    public LearningRateSchedule learningRateSchedule() {
        return new LearningRateSchedule(LearningRateSchedule.Kind.fromConfigName(kind), warmupRounds,
                minLearningRate, factor, patience, threshold);
    }
}
