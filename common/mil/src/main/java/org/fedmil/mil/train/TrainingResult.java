package org.fedmil.mil.train;

import java.time.Duration;

/**
 * What one call of {@link LocalTrainer#train} did.
 *
 * @param meanLoss mean binary cross-entropy over the bags of the last epoch, measured before each step
 * @param bags     bags trained on (the size of the local dataset, which weights this site in FedAvg)
 * @param steps    optimizer steps taken: epochs × ⌈bags / bags per step⌉
 * @param elapsed  wall-clock time of the whole call
 */
public record TrainingResult(double meanLoss, int bags, int steps, Duration elapsed) {

    public double bagsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds == 0 ? Double.POSITIVE_INFINITY : steps / seconds;
    }
}
