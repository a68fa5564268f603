package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import org.fedmil.bench.mil.Recipe;
import org.fedmil.bench.mil.Simulation;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.junit.jupiter.api.Test;

/**
 * {@code fedmil train-local} trains its arms itself (the package has no benchmarks), yet its numbers must sit next to
 * the benchmark tables': the same settings give the same weights as the benchmarks' {@link Simulation}.
 */
class LocalBaselineMatchesSimulationTest {

    private static final int EPOCHS = 3;
    private static final double RATE = 2e-3;
    private static final long SEED = 11;

    private final List<BagDataset> sites = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2)
            .withBags(30, 20).withSeed(4)).sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList();

    @Test
    void localOnlyAndPooledArmsGiveTheSimulationsWeightsUnderACosineSchedule() {
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Device device = Engine.getInstance().defaultDevice();
        LearningRateSchedule cosine = LearningRateSchedule.cosine(1, 0);
        Simulation simulation = new Simulation(spec, device, new Recipe(EPOCHS, 1, RATE, 0, LossConfig.DEFAULT,
                BagAugmentation.NONE, OptimizerConfig.ADAM, cosine, 2), SEED);
        LocalBaseline baseline = new LocalBaseline(spec, device, SEED, EPOCHS, RATE, 0, LossConfig.DEFAULT,
                BagAugmentation.NONE, OptimizerConfig.ADAM, cosine, 2);

        try (MilModel simulatedAlone = simulation.localOnly(sites.get(0));
             MilModel alone = baseline.localOnly(sites.get(0));
             MilModel simulatedPooled = simulation.centralised(sites);
             MilModel pooled = baseline.centralised(sites)) {
            assertThat(alone.weights()).isEqualTo(simulatedAlone.weights());
            assertThat(pooled.weights()).isEqualTo(simulatedPooled.weights());
            assertThat(pooled.weights()).isNotEqualTo(alone.weights());
        }
    }
}
