package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The round logic without a network: what sites are told, what is accepted, what the model becomes. */
class FederationRunTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final Duration NO_WAIT = Duration.ZERO;

    private final List<TensorSet> evaluated = Collections.synchronizedList(new ArrayList<>());
    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    private FederationRun newRun(int minSites, int rounds) {
        GlobalModel initial = GlobalModel.of(0, SPEC, weights(1f, 1f));
        run = new FederationRun(new FederationPlan("test", minSites, rounds, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true), initial, w -> {
                    evaluated.add(w);
                    return BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f});
                }, FedAvg::new, new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        completed.add(result);
                    }
                });
        run.start();
        return run;
    }

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    private static IncomingUpdate update(int round, long base, TensorSet delta, long bags) {
        byte[] bytes = TensorCodec.encode(delta);
        return new IncomingUpdate(round, base, Sha256.of(bytes), bags, 0.5, delta.specs(), bytes);
    }

    private static Status.Code refusal(Runnable r) {
        try {
            r.run();
        } catch (FederationException e) {
            return e.code();
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void sitesWaitUntilMinSitesHaveJoined() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOf(Task.Wait.class);
        run.join("b", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class, t -> {
            assertThat(t.round()).isEqualTo(1);
            assertThat(t.model().version()).isZero();
        });
    }

    @Test
    void aRoundAveragesTheUpdatesByBagCountAndStartsTheNext() throws Exception {
        newRun(2, 2);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        assertThat(run.nextTask("a", NO_WAIT)).as("a waits for b").isInstanceOf(Task.Wait.class);
        run.submit("b", update(1, 0, weights(-1f, 2f), 3));

        Task next = run.nextTask("a", Duration.ofSeconds(10));
        assertThat(next).isInstanceOfSatisfying(Task.Train.class, t -> {
            assertThat(t.round()).isEqualTo(2);
            assertThat(t.model().version()).isEqualTo(1);
            // Σ nΔ / Σ n = ([1,0]·1 + [-1,2]·3) / 4 = [-0.5, 1.5]
            assertThat(t.model().weights().get("w").values()).containsExactly(0.5f, 2.5f);
        });
        assertThat(completed).extracting(RoundResult::round).containsExactly(0, 1);
        assertThat(completed.get(1).trainingBags()).isEqualTo(4);
        assertThat(completed.get(1).sites()).containsExactly("a", "b");
    }

    @Test
    void aDeltaWhoseHashDoesNotMatchIsRefusedAndChangesNothing() throws Exception {
        newRun(1, 1);
        run.join("a", JOIN);
        IncomingUpdate good = update(1, 0, weights(1f, 1f), 5);
        byte[] tampered = good.bytes().clone();
        tampered[0] ^= 1;
        IncomingUpdate bad = new IncomingUpdate(1, 0, good.declaredSha256(), 5, 0.5, good.tensors(), tampered);

        assertThat(refusal(() -> run.submit("a", bad))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(run.nextTask("a", NO_WAIT)).as("the site is still asked for its update").isInstanceOf(Task.Train.class);
        assertThat(run.currentModel().version()).isZero();

        run.submit("a", good);
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(2f, 2f);
    }

    @Test
    void refusesASecondUpdateFromTheSameSite() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 5));
        assertThat(refusal(() -> run.submit("a", update(1, 0, weights(9f, 9f), 5)))).isEqualTo(Status.Code.ALREADY_EXISTS);
        run.submit("b", update(1, 0, weights(1f, 1f), 5));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(2f, 2f);
    }

    @Test
    void refusesSitesThatNeverJoined() {
        newRun(1, 1);
        assertThat(refusal(() -> run.submit("mallory", update(1, 0, weights(1f, 1f), 5))))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void refusesUpdatesForAnotherRoundOrBaseVersion() {
        newRun(1, 2);
        run.join("a", JOIN);
        assertThat(refusal(() -> run.submit("a", update(2, 0, weights(1f, 1f), 5)))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refusal(() -> run.submit("a", update(1, 3, weights(1f, 1f), 5)))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void refusesTensorsOfAnotherShapeAndNonFiniteValues() {
        newRun(1, 1);
        run.join("a", JOIN);
        TensorSet wrongShape = new TensorSet(List.of(new NamedTensor("w", new long[] {1, 2}, new float[] {1f, 1f})));
        assertThatThrownBy(() -> run.submit("a", update(1, 0, wrongShape, 5)))
                .isInstanceOf(FederationException.class).hasMessageContaining("w[1, 2]").hasMessageContaining("expected w[2]");
        assertThatThrownBy(() -> run.submit("a", update(1, 0, weights(Float.NaN, 1f), 5)))
                .hasMessageContaining("NaN");
        assertThat(run.currentModel().version()).isZero();
    }

    @Test
    void afterTheLastRoundEverySiteEvaluatesThenStops() throws Exception {
        newRun(1, 1);
        run.join("a", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 5));
        Task t = run.nextTask("a", Duration.ofSeconds(10));
        assertThat(t).isInstanceOfSatisfying(Task.Evaluate.class, e -> assertThat(e.model().version()).isEqualTo(1));
        run.reportEvaluation("a", new SiteEvaluation(1, BinaryMetrics.of(new int[] {0, 1}, new float[] {0.1f, 0.9f})));
        assertThat(run.nextTask("a", Duration.ofSeconds(10))).isInstanceOf(Task.Stop.class);
        assertThat(run.awaitSitesStopped(Duration.ofSeconds(5))).isTrue();
        assertThat(evaluated).as("initial model and round 1 evaluated on the held-out set").hasSize(2);
    }
}
