package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.Strategy;
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

/** Pretraining rounds in the round logic: which task a site gets, what is accepted, what the model becomes. */
class PretrainingRoundsTest {

    private static final ModelSpec TILES = ModelSpec.cnn(Architecture.ATTENTION, 1, 4, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final Duration NO_WAIT = Duration.ZERO;
    private static final PretrainingPlan TWO_ROUNDS = new PretrainingPlan(2, 1, 1e-3, 0, 16, 0.5, 8, 0.2, 1, 0);

    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private final List<UpdateRefusal> refusals = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    /** A stand-in model: one encoder tensor and one classifier tensor. */
    private static TensorSet model(float encoder, float classifier) {
        return new TensorSet(List.of(new NamedTensor("encoder.w", new long[] {2}, new float[] {encoder, encoder}),
                new NamedTensor("classifier.weight", new long[] {2}, new float[] {classifier, classifier})));
    }

    private static TensorSet encoderDelta(float d) {
        return new TensorSet(List.of(new NamedTensor("encoder.w", new long[] {2}, new float[] {d, d})));
    }

    private FederationRun newRun(int rounds, Resume resume) {
        run = new FederationRun(new FederationPlan("pre", 2, rounds, TILES,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
                RoundRules.waitForAll(2), TWO_ROUNDS), GlobalModel.of(0, TILES, model(1f, 1f)), resume,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel m) {
                        completed.add(result);
                    }

                    @Override
                    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                        refusals.add(kind);
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
        return new IncomingUpdate(round, base, Sha256.of(bytes), bags, 4.2, delta.specs(), bytes);
    }

    @Test
    void theFirstRoundsPretrainTheEncoderAloneAndSupervisedRoundsFollowFromIt() throws Exception {
        newRun(3, null);
        run.join("a", JOIN);
        run.join("b", JOIN);

        for (int r = 1; r <= 2; r++) {
            int round = r;
            assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Pretrain.class,
                    t -> assertThat(t.round()).isEqualTo(round));
            long base = run.currentModel().version();
            run.submit("a", update(r, base, encoderDelta(1f), 1));
            run.submit("b", update(r, base, encoderDelta(4f), 2));
            assertThat(run.awaitModelVersion(r, Duration.ofSeconds(5))).isTrue();
        }
        // FedAvg by bags: each round moves the encoder by (1·1 + 4·2) / 3 = 3; the classifier is never touched
        assertThat(run.currentModel().weights()).isEqualTo(model(7f, 1f));

        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class,
                t -> assertThat(t.round()).isEqualTo(3));
        run.submit("a", update(3, 2, model(1f, 1f), 1));
        run.submit("b", update(3, 2, model(1f, 1f), 1));
        assertThat(run.awaitModelVersion(3, Duration.ofSeconds(5))).isTrue();
        assertThat(run.currentModel().weights()).isEqualTo(model(8f, 2f));
        assertThat(completed).extracting(RoundResult::round).containsExactly(0, 1, 2, 3);
        assertThat(refusals).isEmpty();
    }

    @Test
    void aWholeModelDeltaInAPretrainingRoundAndAnEncoderDeltaInASupervisedOneAreRefused() throws Exception {
        newRun(3, null);
        run.join("a", JOIN);
        run.join("b", JOIN);

        assertThatThrownBy(() -> run.submit("a", update(1, 0, model(1f, 1f), 1)))
                .isInstanceOf(FederationException.class).hasMessageContaining("pretraining round")
                .hasMessageContaining("only the encoder.* tensors");
        assertThat(run.expectedUpdateBytes(1)).isEqualTo(8);
        assertThat(run.expectedUpdateBytes(3)).isEqualTo(16);
        run.submit("a", update(1, 0, encoderDelta(1f), 1));
        run.submit("b", update(1, 0, encoderDelta(1f), 1));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(5))).isTrue();
        run.submit("a", update(2, 1, encoderDelta(1f), 1));
        run.submit("b", update(2, 1, encoderDelta(1f), 1));
        assertThat(run.awaitModelVersion(2, Duration.ofSeconds(5))).isTrue();
        assertThatThrownBy(() -> run.submit("a", update(3, 2, encoderDelta(1f), 1)))
                .isInstanceOf(FederationException.class).hasMessageContaining("federation's model");
        assertThat(refusals).containsExactly(UpdateRefusal.WRONG_TENSORS, UpdateRefusal.WRONG_TENSORS);
        assertThat(run.currentModel().weights()).isEqualTo(model(3f, 1f));
    }

    @Test
    void aRunResumedAfterTheFirstPretrainingRoundGoesOnPretraining() throws Exception {
        GlobalModel afterRound1 = GlobalModel.of(1, TILES, model(2f, 1f));
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f});
        Resume resume = new Resume(List.of(
                new RoundResult(0, 0, "00", List.of(), 0, Double.NaN, m, 0),
                new RoundResult(1, 1, Sha256.hex(afterRound1.sha256()), List.of("a", "b"), 3, 4.2, m, 0)),
                List.of(), afterRound1);
        newRun(3, resume);
        run.join("a", JOIN);
        run.join("b", JOIN);

        assertThat(run.nextTask("b", NO_WAIT)).isInstanceOfSatisfying(Task.Pretrain.class, t -> {
            assertThat(t.round()).isEqualTo(2);
            assertThat(t.model().version()).isEqualTo(1);
        });
        run.submit("a", update(2, 1, encoderDelta(1f), 1));
        run.submit("b", update(2, 1, encoderDelta(1f), 1));
        assertThat(run.awaitModelVersion(2, Duration.ofSeconds(5))).isTrue();
        assertThat(run.nextTask("b", NO_WAIT)).isInstanceOf(Task.Train.class);
    }

    @Test
    void pretrainingRoundsAggregateWithTheInjectedStrategyAndSupervisedRoundsWithTheFederationsStrategy() throws Exception {
        List<String> made = Collections.synchronizedList(new ArrayList<>());
        run = new FederationRun(new FederationPlan("pre", 2, 3, TILES,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
                RoundRules.waitForAll(2), TWO_ROUNDS), GlobalModel.of(0, TILES, model(1f, 1f)), null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}),
                new RecordingRounds("strategy", made), new RecordingRounds("pretraining", made),
                new RoundListener() {
                });
        run.start();
        run.join("a", JOIN);
        run.join("b", JOIN);

        run.submit("a", update(1, 0, encoderDelta(1f), 1));
        run.submit("b", update(1, 0, encoderDelta(1f), 1));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(5))).isTrue();
        assertThat(run.currentModel().weights()).as("the encoder alone moved").isEqualTo(model(2f, 1f));
        run.submit("a", update(2, 1, encoderDelta(1f), 1));
        run.submit("b", update(2, 1, encoderDelta(1f), 1));
        assertThat(run.awaitModelVersion(2, Duration.ofSeconds(5))).isTrue();
        run.submit("a", update(3, 2, model(1f, 1f), 1));
        run.submit("b", update(3, 2, model(1f, 1f), 1));
        assertThat(run.awaitModelVersion(3, Duration.ofSeconds(5))).isTrue();
        assertThat(made).containsExactly("pretraining 1", "pretraining 1", "strategy 2");
    }

    @Test
    void aPlanRefusesPretrainingThatLeavesNoSupervisedRoundOrAFeatureModel() {
        FederationPlan.TrainingPlan training = new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT);
        assertThatThrownBy(() -> new FederationPlan("p", 1, 2, TILES, training, false, RoundRules.waitForAll(1),
                TWO_ROUNDS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leave none of the 2 rounds");
        assertThatThrownBy(() -> new FederationPlan("p", 1, 5, new ModelSpec(Architecture.ATTENTION, 4, 2, 2),
                training, false, RoundRules.waitForAll(1), TWO_ROUNDS))
                .hasMessageContaining("cnn encoder");
        assertThatThrownBy(() -> new PretrainingPlan(1, 1, 1e-3, 0, 1, 0.5, 8, 0, 0, 0))
                .hasMessageContaining("batch size must be at least 2");
    }

    /** FedAvg that notes which rounds it opened, and of how many tensors. */
    private static final class RecordingRounds implements Strategy {
        private final String label;
        private final List<String> made;
        private final FedAvg fedAvg = new FedAvg();

        RecordingRounds(String label, List<String> made) {
            this.label = label;
            this.made = made;
        }

        @Override
        public String name() {
            return fedAvg.name();
        }

        @Override
        public Map<String, Object> parameters() {
            return fedAvg.parameters();
        }

        @Override
        public java.util.Set<org.fedmil.coordinator.aggregate.Capability> capabilities() {
            return fedAvg.capabilities();
        }

        @Override
        public void beginRound(List<org.fedmil.tensor.TensorSpec> specs) {
            made.add(label + " " + specs.size());
            fedAvg.beginRound(specs);
        }

        @Override
        public void accept(TensorSet delta, long trainingBags) {
            fedAvg.accept(delta, trainingBags);
        }

        @Override
        public void acceptWire(List<org.fedmil.tensor.TensorSpec> specs, byte[] bytes, long trainingBags) {
            fedAvg.acceptWire(specs, bytes, trainingBags);
        }

        @Override
        public int updates() {
            return fedAvg.updates();
        }

        @Override
        public TensorSet finish(TensorSet global) {
            return fedAvg.finish(global);
        }
    }
}
