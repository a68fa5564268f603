package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every strategy's arithmetic on one hand-computed example: a model of 4 numbers w = (10, 20, 30, 40) and three
 * updates
 * <pre>
 *   Δ₁ = ( 3,  4, 0,  0)   1 bag    ‖Δ₁‖ = 5
 *   Δ₂ = ( 0, -6, 8,  0)   1 bag    ‖Δ₂‖ = 10
 *   Δ₃ = ( 1,  1, 1, -1)   2 bags   ‖Δ₃‖ = 2
 * </pre>
 */
class StrategiesTest {

    private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {4}));
    private static final TensorSet GLOBAL = set(10, 20, 30, 40);

    @TempDir
    Path dir;

    private static TensorSet set(float... v) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {4}, v)));
    }

    private static float[] round(Strategy s, TensorSet global) {
        s.beginRound(SPECS);
        s.accept(set(3, 4, 0, 0), 1);
        s.accept(set(0, -6, 8, 0), 1);
        s.accept(set(1, 1, 1, -1), 2);
        assertThat(s.updates()).isEqualTo(3);
        return s.finish(global).tensors().get(0).values();
    }

    private static float[] round(Strategy s) {
        return round(s, GLOBAL);
    }

    @Test
    void fedAvgIsTheBagWeightedMean() {
        // (Δ₁ + Δ₂ + 2Δ₃) / 4 = (5, 0, 10, -2) / 4
        assertThat(round(new FedAvg())).containsExactly(11.25f, 20f, 32.5f, 39.5f);
    }

    @Test
    void fedAvgThroughTheStrategyIsBitForBitTheOldFedAvg() {
        WeightedMean old = new WeightedMean(SPECS);
        old.accept(set(3, 4, 0, 0), 1);
        old.accept(set(0, -6, 8, 0), 1);
        old.accept(set(1, 1, 1, -1), 2);
        assertThat(round(new FedAvg())).containsExactly(old.applyTo(GLOBAL).tensors().get(0).values());
        // linear: the streaming fold of the received bytes, and secure aggregation's mean, feed it
        assertThat(new FedAvg().capabilities()).containsExactly(Capability.LINEAR);
    }

    @Test
    void fedProxAggregatesAsFedAvgAndTellsTheSitesMu() {
        Strategy s = StrategySettings.parse("fedprox:mu=0.01").create();
        assertThat(s.name()).isEqualTo("fedprox");
        assertThat(s.configure().proximalMu()).isEqualTo(0.01);
        assertThat(s.parameters()).containsEntry("mu", 0.01);
        assertThat(round(s)).containsExactly(11.25f, 20f, 32.5f, 39.5f);
        assertThat(new FedAvg().configure().proximalMu()).isZero();
    }

    @Test
    void medianIsCoordinateWiseAndUnweighted() {
        // sorted per coordinate: (0,1,3) (-6,1,4) (0,1,8) (-1,0,0): medians 1, 1, 1, 0 — Δ₃'s 2 bags do not count twice
        assertThat(round(RobustStrategy.median(10))).containsExactly(11f, 21f, 31f, 40f);
    }

    @Test
    void medianOfAnEvenNumberOfUpdatesIsTheMeanOfTheMiddleTwo() {
        Strategy a = RobustStrategy.median(10);
        a.beginRound(SPECS);
        a.accept(set(1, 0, 0, 0), 1);
        a.accept(set(3, 0, 0, 0), 1);
        a.accept(set(10, 0, 0, 0), 1);
        a.accept(set(-5, 0, 0, 0), 1);
        assertThat(a.finish(GLOBAL).tensors().get(0).values()[0]).isEqualTo(12f); // 10 + (1 + 3) / 2
    }

    @Test
    void trimmedMeanDropsTheBetaFractionAtEachEnd() {
        // β = 0.34, K = 3: ⌊1.02⌋ = 1 value dropped at each end, which leaves the median
        assertThat(round(RobustStrategy.trimmedMean(0.34, 10))).containsExactly(11f, 21f, 31f, 40f);
        // β = 0.2, K = 3: ⌊0.6⌋ = 0 dropped: the unweighted mean (4, -1, 9, -1) / 3
        assertThat(round(RobustStrategy.trimmedMean(0.2, 10)))
                .containsExactly(10f + 4f / 3, 20f - 1f / 3, 33f, 40f - 1f / 3);
        Strategy a = RobustStrategy.trimmedMean(0.2, 10);
        a.beginRound(SPECS);
        for (float x : new float[] {100, 1, 2, 3, -100}) {
            a.accept(set(x, 0, 0, 0), 1);
        }
        // K = 5: one dropped at each end, (1 + 2 + 3) / 3
        assertThat(a.finish(GLOBAL).tensors().get(0).values()[0]).isEqualTo(12f);
    }

    @Test
    void clippingScalesOnlyUpdatesAboveTheNormThenAverages() {
        // C = 5: Δ₁ (norm 5) and Δ₃ (norm 2) unchanged, Δ₂ (norm 10) halved to (0, -3, 4, 0);
        // (Δ₁ + Δ₂' + 2Δ₃) / 4 = (5, 3, 6, -2) / 4
        Strategy s = StrategySettings.parse("fedavg:clip=5").create();
        assertThat(s.parameters()).containsEntry("clip_norm", 5.0);
        assertThat(round(s)).containsExactly(11.25f, 20.75f, 31.5f, 39.5f);
        // clipping goes before any strategy: median of (3,0,1) (4,-3,1) (0,4,1) (0,0,-1)
        assertThat(round(StrategySettings.parse("median:clip=5").create())).containsExactly(11f, 21f, 31f, 40f);
    }

    @Test
    void fedAdamFollowsReddiAlgorithm2() {
        // Δ = (1.25, 0, 2.5, -0.5); m = 0.1Δ; v = 0.99τ² + 0.01Δ²; w += η m / (√v + τ), η 0.1, τ 0.001
        // coordinate 1: 0.1 · 0.125 / (√(0.99e-6 + 0.015625) + 0.001) = 0.0992031; coordinate 2 has Δ = 0: no step
        FedOpt adam = new FedOpt(FedOpt.Kind.ADAM, 0.1, 0.9, 0.99, 0.001);
        float[] w1 = round(adam);
        assertThat(w1[0]).isCloseTo(10.099203f, within(1e-5f));
        assertThat(w1[1]).isEqualTo(20f);
        assertThat(w1[2]).isCloseTo(30.099602f, within(1e-5f));
        assertThat(w1[3]).isCloseTo(39.901981f, within(1e-5f));
        // round 2, same updates: m = 0.19Δ, v = 0.99 v₁ + 0.01Δ²
        float[] w2 = round(adam, set(w1));
        assertThat(w2[0]).isCloseTo(10.233129f, within(1e-5f));
        assertThat(w2[3]).isCloseTo(39.769188f, within(1e-5f));
    }

    @Test
    void fedYogiDiffersFromFedAdamInTheSecondMoment() {
        // round 1: v = τ² + 0.01Δ² (sign(τ² − Δ²) = −1), the same step as FedAdam's up to 0.01τ²;
        // round 2: v = v₁ + 0.01Δ² (Yogi adds) instead of 0.99 v₁ + 0.01Δ²: a smaller step
        FedOpt yogi = new FedOpt(FedOpt.Kind.YOGI, 0.1, 0.9, 0.99, 0.001);
        float[] w1 = round(yogi);
        assertThat(w1[0]).isCloseTo(10.099203f, within(1e-5f));
        float[] w2 = round(yogi, set(w1));
        assertThat(w2[0]).isCloseTo(10.232796f, within(1e-5f));
        assertThat(w2[2]).isCloseTo(30.233572f, within(1e-5f));
        assertThat(w2[3]).isCloseTo(39.769516f, within(1e-5f));
    }

    @Test
    void fedAdamStateWrittenAndReadBackGivesTheSameModelAsAnUninterruptedRun() {
        for (String name : List.of("fedadam:lr=0.05", "fedyogi:lr=0.05:clip=6")) {
            assertTheStateSurvivesARestart(name, dir);
        }
    }

    /**
     * Four rounds of {@code name} uninterrupted, against two rounds, a restart that takes up the state written to
     * a {@link StateStore} after round 2, and two more: the same model. Without the state, another model.
     */
    static void assertTheStateSurvivesARestart(String name, Path dir) {
        float[][] deltas = {{3, 4, 0, 0}, {0, -6, 8, 0}, {1, 1, 1, -1}, {0.5f, -0.25f, 2, 7}};
        {
            Strategy uninterrupted = StrategySettings.parse(name).create();
            TensorSet a = GLOBAL;
            for (int r = 0; r < 4; r++) {
                a = step(uninterrupted, a, deltas, r);
            }
            // rounds 1–2, then the coordinator "restarts": a new strategy takes up the state saved with round 2
            Strategy first = StrategySettings.parse(name).create();
            TensorSet b = GLOBAL;
            StateStore store = new StateStore(dir.resolve(name.replace(':', '_')));
            for (int r = 0; r < 2; r++) {
                b = step(first, b, deltas, r);
                store.saveStrategyState(r + 1, first.save().orElseThrow());
            }
            Strategy resumed = StrategySettings.parse(name).create();
            assertThat(resumed.capabilities()).contains(Capability.STATEFUL);
            resumed.restore(new StateStore(store.dir()).strategyState(2).orElseThrow());
            for (int r = 2; r < 4; r++) {
                b = step(resumed, b, deltas, r);
            }
            assertThat(b).as(name).isEqualTo(a);
            // without the state (m = 0, v = τ² again) the same rounds go elsewhere: the state matters
            Strategy forgetful = StrategySettings.parse(name).create();
            TensorSet c = GLOBAL;
            for (int r = 0; r < 2; r++) {
                c = step(first == null ? forgetful : StrategySettings.parse(name).create(), c, deltas, r);
            }
            assertThat(c).as(name).isNotEqualTo(b);
            assertThat(store.strategyState(1)).isPresent();
            assertThat(store.strategyState(7)).isEmpty();
        }
    }

    private static TensorSet step(Strategy s, TensorSet global, float[][] deltas, int r) {
        s.beginRound(SPECS);
        s.accept(set(deltas[r]), 1 + r);
        s.accept(set(deltas[(r + 1) % deltas.length]), 2);
        return s.finish(global);
    }

    @Test
    void aStateOfAnotherStrategyIsRefused() {
        FedOpt adam = new FedOpt(FedOpt.Kind.ADAM, 0.1, 0.9, 0.99, 0.001);
        round(adam);
        FedOpt yogi = new FedOpt(FedOpt.Kind.YOGI, 0.1, 0.9, 0.99, 0.001);
        assertThatThrownBy(() -> yogi.restore(adam.save().orElseThrow()))
                .hasMessageContaining("'fedadam'").hasMessageContaining("cannot change on restart");
        assertThatThrownBy(() -> new FedAvg().restore(adam.save().orElseThrow()))
                .hasMessageContaining("keeps no state");
    }

    @Test
    void bufferingStrategiesRefuseUpdatesBeyondTheirBound() {
        Strategy a = RobustStrategy.median(2);
        assertThat(a.capabilities()).containsExactly(Capability.INDIVIDUAL_UPDATES);
        assertThat(a.maxBufferedUpdates()).hasValue(2);
        assertThat(new FedAvg().capabilities()).doesNotContain(Capability.INDIVIDUAL_UPDATES);
        assertThat(new FedAvg().maxBufferedUpdates()).isEmpty();
        a.beginRound(SPECS);
        a.accept(set(1, 1, 1, 1), 1);
        a.accept(set(2, 2, 2, 2), 1);
        assertThatThrownBy(() -> a.accept(set(3, 3, 3, 3), 1)).isInstanceOf(Strategy.Refused.class)
                .hasMessageContaining("strategy.max_buffered_updates");
        assertThat(a.updates()).isEqualTo(2);
    }

    @Test
    void badStrategyValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> StrategySettings.parse("fedsgd")).hasMessageContaining("strategy.name");
        assertThatThrownBy(() -> StrategySettings.parse("fedadam:mu=0.1")).hasMessageContaining("'strategy.mu'")
                .hasMessageContaining("does not apply");
        assertThatThrownBy(() -> StrategySettings.parse("trimmed_mean:beta=0.5"))
                .hasMessageContaining("strategy.trim_fraction");
        assertThatThrownBy(() -> StrategySettings.parse("fedyogi:beta2=1")).hasMessageContaining("strategy.beta2");
        assertThatThrownBy(() -> StrategySettings.parse("fedavg:clip=-1")).hasMessageContaining("strategy.clip_norm");
        assertThatThrownBy(() -> StrategySettings.parse("fedprox:mu=0")).hasMessageContaining("strategy.mu");
        assertThat(StrategySettings.parse("trimmed_mean").create().parameters())
                .containsEntry("trim_fraction", 0.2).containsEntry("max_buffered_updates", 100)
                .containsEntry("weighting", "unweighted");
        assertThat(StrategySettings.parse("fedadam").create().parameters()).containsEntry("server_learning_rate", 0.01)
                .containsEntry("beta1", 0.9).containsEntry("beta2", 0.99).containsEntry("tau", 0.001);
    }
}
