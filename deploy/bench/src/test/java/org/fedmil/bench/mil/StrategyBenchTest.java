package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** The benchmark's strategy arms: attacks as specified, FedAvg through the Strategy API unchanged, the report. */
class StrategyBenchTest {

    @Test
    void attacksParseAndForgeWhatTheySay() {
        Attack flip = Attack.parse("sign_flip_x10:site=1");
        Attack noise = Attack.parse("gaussian:site=2:std=0.5");
        assertThat(flip).isEqualTo(new Attack("sign_flip", 1, 10));
        assertThat(noise.toString()).isEqualTo("gaussian:site=2:std=0.5");
        assertThat(Attack.parse("gaussian:site=3").scale()).isEqualTo(Attack.DEFAULT_GAUSSIAN_STD);
        TensorSet d = new TensorSet(List.of(new NamedTensor("w", new long[] {3}, new float[] {1, -2, 0.5f})));
        assertThat(flip.forge(d, new Random(1)).tensors().get(0).values()).containsExactly(-10f, 20f, -5f);
        float[] n = noise.forge(d, new Random(1)).tensors().get(0).values();
        assertThat(n).hasSize(3).doesNotContain(1f, -2f, 0.5f);
        assertThatThrownBy(() -> Attack.parse("sign_flip_x10")).hasMessageContaining("site=N");
        assertThatThrownBy(() -> Attack.parse("label_flip:site=1")).hasMessageContaining("expected");
    }

    @Test
    void theFedAvgStrategyArmIsTheOldFedAvgArmAndTheMedianResistsASignFlipper() {
        SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(3)
                .withBags(60, 60).withSeed(3));
        List<BagDataset> sites = data.sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Recipe recipe = new Recipe(2, 1, 2e-3, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 42);
        List<Integer> rounds = new ArrayList<>();
        try (MilModel old = simulation.federated(sites);
             MilModel viaStrategy = simulation.federated(sites, new FedAvg(), List.of(), Optional.empty(),
                     x -> { }, (r, m) -> rounds.add(r));
             MilModel attacked = simulation.federated(sites, new FedAvg(),
                     List.of(Attack.parse("sign_flip_x10:site=1")), Optional.empty(), x -> { }, (r, m) -> { });
             MilModel robust = simulation.federated(sites, StrategySettings.parse("median").create(),
                     List.of(Attack.parse("sign_flip_x10:site=1")), Optional.empty(), x -> { }, (r, m) -> { })) {
            assertThat(viaStrategy.weights()).isEqualTo(old.weights());
            assertThat(rounds).containsExactly(0, 1, 2);
            double honest = norm(old.weights().minus(initial(spec)));
            // one of three sites sending −10Δ drags FedAvg far off; the median keeps the global step near honest size
            assertThat(norm(attacked.weights().minus(initial(spec)))).isGreaterThan(2 * honest);
            assertThat(norm(robust.weights().minus(initial(spec)))).isLessThan(2 * honest);
        }
    }

    private static TensorSet initial(ModelSpec spec) {
        try (MilModel m = MilModel.create(spec, Engine.getInstance().defaultDevice(), 42)) {
            return m.weights();
        }
    }

    private static double norm(TensorSet t) {
        double s = 0;
        for (NamedTensor n : t.tensors()) {
            for (float v : n.values()) {
                s += (double) v * v;
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void theReportTabulatesFinalAucPerStrategyAndDrawsOneLinePerStrategy() {
        List<RunRecord> records = new ArrayList<>();
        for (long seed = 1; seed <= 2; seed++) {
            records.add(record(seed, "fedavg", null, List.of(0.5, 0.8, 0.9 + seed / 100.0)));
            records.add(record(seed, "median", "sign_flip_x10:site=1", List.of(0.5, 0.7, 0.8)));
        }
        String table = StrategyReport.table(records);
        assertThat(table).contains("| fedavg | none | 0.915 ± 0.007 | 0.910 (1), 0.920 (2) |")
                .contains("| median | sign_flip_x10:site=1 | 0.800 ± 0.000 |");
        assertThat(StrategyReport.perRound(records)).contains("| fedavg | 0.500 | 0.800 | 0.915 |")
                .contains("| median (attacked) | 0.500 | 0.700 | 0.800 |");
        String svg = StrategyReport.svg(records, "t");
        assertThat(svg).startsWith("<svg").contains("median (attacked)").contains("stroke-dasharray");
        assertThat(svg.split("<polyline", -1)).hasSize(3);
    }

    private static RunRecord record(long seed, String strategy, String attack, List<Double> curve) {
        double auc = curve.get(curve.size() - 1);
        return new RunRecord("fmnist-bags", seed, "attention", "federated:" + strategy, 500, 200, auc, auc, auc,
                0.9, 0.9, 0.9, 1.0, 2, 5, 1.0, null, null, null, null, strategy, attack, curve);
    }
}
