package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The federation finishes once: whichever way its end comes (the operator's abort, the last round skipped when a
 * secure aggregation falls short), federation_finished is told to the listener exactly once.
 */
class FinishedOnceTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));

    @Test
    @Timeout(60)
    void anAbortRacingTheSkippedLastRoundFinishesTheFederationOnce() throws Exception {
        AtomicInteger finishes = new AtomicInteger();
        // the first finish waits in the listener for a second one to arrive: were two finishes ever let through at
        // once, both would be recorded
        CountDownLatch secondArrived = new CountDownLatch(2);
        RoundListener listener = new RoundListener() {
            @Override
            public void finished(String reason) {
                finishes.incrementAndGet();
                secondArrived.countDown();
                try {
                    secondArrived.await(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        RoundRules rules = new RoundRules(1, 3_600_000, RoundRules.ShortRound.SKIP, 10.0);
        FederationPlan plan = new FederationPlan("test", 2, 1, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false, rules, true);
        GlobalModel initial = GlobalModel.of(0, SPEC,
                new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 1f}))));
        try (FederationRun run = new FederationRun(plan, initial, null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), listener)) {
            run.start();
            run.join("a", JOIN);
            run.join("b", JOIN);
            assertThat(run.nextTask("a", Duration.ZERO)).isInstanceOf(Task.SecAggAdvertise.class);

            // the operator's abort on one thread, while on another both sites leave before advertising keys: the
            // secure aggregation of the last round cannot go on, the round is skipped, and with it the federation ends
            Thread operator = new Thread(() -> run.abort("aborted by the operator"), "operator");
            operator.start();
            run.leave("b", "gone");
            run.leave("a", "gone");
            operator.join();

            assertThat(run.awaitFinished(Duration.ofSeconds(20))).isTrue();
            secondArrived.await(3, TimeUnit.SECONDS);
            assertThat(finishes.get()).as("federation_finished told to the listener").isEqualTo(1);
        }
    }
}
