package org.fedmil.mil.train;

/** The learning rate of each optimiser step of one local training (one round at a site). */
@FunctionalInterface
public interface StepRates {

    /**
     * @param step  0-based index of the update in this training
     * @param steps updates this training takes in all
     */
    double rate(int step, int steps);

    static StepRates constant(double rate) {
        return (step, steps) -> rate;
    }
}
