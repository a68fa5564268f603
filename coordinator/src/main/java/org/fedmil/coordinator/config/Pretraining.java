package org.fedmil.coordinator.config;

import org.fedmil.coordinator.round.PretrainingPlan;

/**
 * pretraining: federated self-supervised (SimCLR) pretraining of the instance encoder, in {@code rounds} rounds
 * before the supervised ones; 0 rounds (the default) for none. See {@link PretrainingPlan}.
 */
public record Pretraining(Integer rounds, Integer epochs, Double learningRate, Double weightDecay,
                          Integer batchSize, Double temperature, Integer projectionDim, Double colourJitter,
                          Integer maxShift, Integer maxTiles) {
    public Pretraining {
        rounds = rounds == null ? 0 : rounds;
        epochs = epochs == null ? 1 : epochs;
        learningRate = learningRate == null ? 1e-3 : learningRate;
        weightDecay = weightDecay == null ? 0.0 : weightDecay;
        batchSize = batchSize == null ? 128 : batchSize;
        temperature = temperature == null ? 0.5 : temperature;
        projectionDim = projectionDim == null ? 32 : projectionDim;
        colourJitter = colourJitter == null ? 0.2 : colourJitter;
        maxShift = maxShift == null ? 2 : maxShift;
        maxTiles = maxTiles == null ? 0 : maxTiles;
    }

    /** The plan of the pretraining rounds; empty with 0 rounds. */
    public java.util.Optional<PretrainingPlan> plan() {
        return rounds == 0 ? java.util.Optional.empty() : java.util.Optional.of(new PretrainingPlan(rounds, epochs,
                learningRate, weightDecay, batchSize, temperature, projectionDim, colourJitter, maxShift,
                maxTiles));
    }
}
