package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The run's threading rule: whichever thread causes an event (a site's call, the round closing, a deadline), every
 * listener callback runs on the run's one event thread, so the listener never sees two events at once.
 */
class ListenerThreadTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    private static IncomingUpdate update(int round, long base, TensorSet delta) {
        byte[] bytes = TensorCodec.encode(delta);
        return new IncomingUpdate(round, base, Sha256.of(bytes), 1, 0.5, delta.specs(), bytes);
    }

    @Test
    @Timeout(60)
    void everyListenerCallbackRunsOnTheEventThread() throws Exception {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        RoundListener listener = new RoundListener() {
            private void note(String event) {
                calls.add(event + "@" + Thread.currentThread().getName());
            }

            @Override
            public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
                note("siteJoined");
            }

            @Override
            public void roundStarted(int round, int participants) {
                note("roundStarted");
            }

            @Override
            public void roundCompleted(RoundResult result, GlobalModel model) {
                note("roundCompleted");
            }

            @Override
            public void updateAccepted(AcceptedUpdate update) {
                note("updateAccepted");
            }

            @Override
            public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                note("updateRefused");
            }

            @Override
            public void siteLeft(String siteId, String reason, int remainingSites) {
                note("siteLeft");
            }

            @Override
            public void stateChanged(RunState state) {
                note("stateChanged");
            }

            @Override
            public void siteEvaluated(String siteId, SiteEvaluation evaluation) {
                note("siteEvaluated");
            }

            @Override
            public void finished(String reason) {
                note("finished");
            }
        };
        FederationPlan plan = new FederationPlan("test", 2, 1, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(2));
        try (FederationRun run = new FederationRun(plan, GlobalModel.of(0, SPEC, weights(1f, 1f)),
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), listener)) {
            run.start();
            run.join("a", JOIN);
            run.join("b", JOIN);
            run.join("c", JOIN);
            run.leave("c", "going");
            assertThatThrownBy(() -> run.submit("a", update(1, 0, weights(Float.NaN, 0f))))
                    .isInstanceOf(FederationException.class);
            run.submit("a", update(1, 0, weights(1f, 0f)));
            run.submit("b", update(1, 0, weights(0f, 1f)));
            assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
            BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1}, new float[] {0.1f, 0.9f});
            assertThat(run.nextTask("a", Duration.ofSeconds(10))).isInstanceOf(Task.Evaluate.class);
            run.reportEvaluation("a", new SiteEvaluation(1, m));
            run.reportEvaluation("b", new SiteEvaluation(1, m));
            assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        }

        assertThat(calls).extracting(c -> c.substring(0, c.indexOf('@'))).contains("siteJoined", "roundStarted",
                "siteLeft", "updateRefused", "updateAccepted", "roundCompleted", "stateChanged", "siteEvaluated",
                "finished");
        assertThat(calls).allSatisfy(c -> assertThat(c).endsWith("@round-events"));
    }
}
