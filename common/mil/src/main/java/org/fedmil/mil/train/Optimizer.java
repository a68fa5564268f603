package org.fedmil.mil.train;

/**
 * Updates a model's weights in place from the gradients of the backward passes since the last update, and clears
 * those gradients. The learning rate is given per update, so that a schedule can change it step by step.
 */
interface Optimizer {

    void update(float learningRate);

    /** Continues from a previous training's state where it fits these weights; a fresh start otherwise. */
    default void restore(OptimizerMemory memory) {
    }

    /** Keeps this optimiser's state for the next training. */
    default void save(OptimizerMemory memory) {
    }
}
