package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FedAvgM on StrategiesTest's example: w = (10, 20, 30, 40) and three updates (3, 4, 0, 0) × 1 bag,
 * (0, −6, 8, 0) × 1 bag, (1, 1, 1, −1) × 2 bags, whose bag-weighted mean is Δ̄ = (1.25, 0, 2.5, −0.5).
 */
class FedAvgMTest {

    private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {4}));

    @TempDir
    Path dir;

    private static TensorSet set(float... v) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {4}, v)));
    }

    private static TensorSet round(Strategy s, TensorSet global) {
        s.beginRound(SPECS);
        s.accept(set(3, 4, 0, 0), 1);
        s.accept(set(0, -6, 8, 0), 1);
        s.accept(set(1, 1, 1, -1), 2);
        return s.finish(global);
    }

    @Test
    void serverMomentumAccumulatesTheMeanDeltaAndStepsByEtaTimesIt() {
        Strategy m = StrategySettings.parse("fedavgm:server_learning_rate=0.5:momentum=0.5").create();
        // round 1: v = Δ̄ = (1.25, 0, 2.5, −0.5); w = w + 0.5 v
        TensorSet w1 = round(m, set(10, 20, 30, 40));
        assertThat(w1.get("w").values()).containsExactly(10.625f, 20f, 31.25f, 39.75f);
        // round 2, the same updates: v = 0.5 v + Δ̄ = 1.5 Δ̄ = (1.875, 0, 3.75, −0.75); w = w₁ + 0.5 v
        TensorSet w2 = round(m, w1);
        assertThat(w2.get("w").values()).containsExactly(11.5625f, 20f, 33.125f, 39.375f);
        assertThat(m.save().orElseThrow().tensors().get("v/w").values()).containsExactly(1.875f, 0f, 3.75f, -0.75f);
    }

    @Test
    void itsKeysDefaultToEtaOneAndMomentumNinetyHundredthsAndAreCheckedByName() {
        Strategy m = StrategySettings.parse("fedavgm").create();
        assertThat(m.parameters()).containsEntry("server_learning_rate", 1.0).containsEntry("momentum", 0.9)
                .containsEntry("weighting", "training_bags");
        // v = Δ̄, w = w + v in round 1 whatever β
        assertThat(round(m, set(10, 20, 30, 40)).get("w").values()).containsExactly(11.25f, 20f, 32.5f, 39.5f);
        assertThatThrownBy(() -> StrategySettings.parse("fedavgm:momentum=1")).hasMessageContaining("strategy.momentum")
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> StrategySettings.parse("fedavgm:lr=-1"))
                .hasMessageContaining("strategy.server_learning_rate").hasMessageContaining("positive");
        assertThatThrownBy(() -> StrategySettings.parse("fedavgm:mu=0.1")).hasMessageContaining("'strategy.mu'")
                .hasMessageContaining("does not apply to strategy fedavgm (only to fedprox)");
    }

    @Test
    void itIsLinearAndStateful() {
        assertThat(new FedAvgM(1, 0.9).capabilities()).containsExactlyInAnyOrder(Capability.LINEAR,
                Capability.STATEFUL);
        assertThat(new FedAvgM(1, 0.9).save()).as("no state before the first round").isEmpty();
    }

    @Test
    void itsMomentumSurvivesARestartThroughTheStateStore() {
        StrategiesTest.assertTheStateSurvivesARestart("fedavgm:lr=0.7:momentum=0.8", dir);
        Strategy m = new FedAvgM(1, 0.9);
        round(m, set(10, 20, 30, 40));
        assertThatThrownBy(() -> new FedOpt(FedOpt.Kind.ADAM, 0.1, 0.9, 0.99, 1e-3).restore(m.save().orElseThrow()))
                .hasMessageContaining("'fedavgm'").hasMessageContaining("cannot change on restart");
    }

    @Test
    void withMomentumZeroAndEtaOneItIsFedAvgBitForBit() {
        Random random = new Random(17);
        List<TensorSpec> specs = List.of(new TensorSpec("a", new long[] {3, 5}), new TensorSpec("b", new long[] {7}));
        TensorSet viaFedAvg = random(specs, random, 1);
        TensorSet viaFedAvgM = viaFedAvg;
        Strategy fedAvg = new FedAvg();
        Strategy fedAvgM = StrategySettings.parse("fedavgm:momentum=0:server_learning_rate=1").create();
        for (int r = 0; r < 5; r++) {
            fedAvg.beginRound(specs);
            fedAvgM.beginRound(specs);
            for (int k = 0; k < 4; k++) {
                byte[] wire = TensorCodec.encode(random(specs, random, 1e-3));
                long bags = 1 + random.nextInt(300);
                fedAvg.acceptWire(specs, wire, bags);
                fedAvgM.acceptWire(specs, wire, bags);
            }
            viaFedAvg = fedAvg.finish(viaFedAvg);
            viaFedAvgM = fedAvgM.finish(viaFedAvgM);
            assertThat(viaFedAvgM).as("round " + (r + 1)).isEqualTo(viaFedAvg);
        }
    }

    private static TensorSet random(List<TensorSpec> specs, Random random, double scale) {
        return new TensorSet(specs.stream().map(s -> {
            float[] v = new float[Math.toIntExact(s.elementCount())];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (scale * random.nextGaussian());
            }
            return new NamedTensor(s.name(), s.shape(), v);
        }).toList());
    }
}
