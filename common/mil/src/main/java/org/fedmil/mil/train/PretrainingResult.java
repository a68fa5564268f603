package org.fedmil.mil.train;

import java.time.Duration;

/**
 * What one call of {@link ContrastiveTrainer#train} did.
 *
 * @param meanLoss mean NT-Xent loss over the batches of the last epoch, each measured before its step
 * @param bags     bags whose tiles were drawn from (the weight of this site in FedAvg, as in supervised rounds)
 * @param tiles    tiles trained on per epoch
 * @param steps    optimizer steps taken
 * @param elapsed  wall-clock time of the whole call
 */
public record PretrainingResult(double meanLoss, int bags, long tiles, int steps, Duration elapsed) {
}
