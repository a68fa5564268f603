package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.junit.jupiter.api.io.TempDir;

/** The bench's side of the weak-supervision toolbox: --variants, --flip-labels, and the federated arm they run. */
class ToolboxBenchTest {

    private static final Recipe BASE = new Recipe(5, 1, 5e-4, 1e-4, LossConfig.DEFAULT, BagAugmentation.NONE);

    @TempDir
    Path dir;

    @Test
    void aVariantChangesOnlyWhatItNames() {
        Recipe r = new TrainingVariant("optimizer=sgd:lr=0.01:momentum=0.9:nesterov=true").apply(BASE);
        assertThat(r.optimizer()).isEqualTo(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.9, true));
        assertThat(r.learningRate()).isEqualTo(0.01);
        assertThat(r.weightDecay()).isEqualTo(1e-4);
        assertThat(r.loss()).isEqualTo(LossConfig.DEFAULT);
        assertThat(r.schedule()).isEqualTo(LearningRateSchedule.CONSTANT);

        Recipe noisy = new TrainingVariant("loss=gce:q=0.5:smoothing=0.1:batch=4").apply(BASE);
        assertThat(noisy.loss().kind()).isEqualTo(LossConfig.Kind.GCE);
        assertThat(noisy.loss().gceQ()).isEqualTo(0.5);
        assertThat(noisy.loss().labelSmoothing()).isEqualTo(0.1);
        assertThat(noisy.bagsPerStep()).isEqualTo(4);
        assertThat(new TrainingVariant("schedule=cosine:warmup=1").apply(BASE).schedule())
                .isEqualTo(LearningRateSchedule.cosine(1, 0));
        assertThat(new TrainingVariant("default").apply(BASE)).isSameAs(BASE);
    }

    @Test
    void aBadVariantNamesTheVariantAndThePart() {
        assertThatThrownBy(() -> new TrainingVariant("optimiser=sgd").apply(BASE))
                .hasMessageContaining("unknown key 'optimiser'").hasMessageContaining("optimizer");
        assertThatThrownBy(() -> new TrainingVariant("lr=fast").apply(BASE))
                .hasMessageContaining("variant 'lr=fast'").hasMessageContaining("needs a number");
        assertThatThrownBy(() -> new TrainingVariant("schedule=cosine:warmup=5").apply(BASE))
                .hasMessageContaining("warmup_rounds (5.0) must be fewer than the federation's 5 rounds");
        assertThatThrownBy(() -> new TrainingVariant("adamw").apply(BASE))
                .hasMessageContaining("'adamw' is not key=value");
    }

    @Test
    void flippingLabelsTurnsExactlyTheSeededFractionOfOneSitesBags() throws Exception {
        Path site = dir.resolve("site-1");
        Files.createDirectories(site);
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        for (int i = 0; i < 20; i++) {
            csv.append("bag").append(i).append(',').append(i % 2).append('\n');
        }
        Files.writeString(site.resolve("bags.csv"), csv);
        List<String> before = Files.readAllLines(site.resolve("bags.csv"));

        List<String> flipped = LabelNoise.parse("site=1:fraction=0.2").apply(site, 7);

        List<String> after = Files.readAllLines(site.resolve("bags.csv"), StandardCharsets.UTF_8);
        assertThat(flipped).hasSize(4).doesNotHaveDuplicates();
        List<String> changed = new ArrayList<>();
        for (int i = 1; i < before.size(); i++) {
            String[] was = before.get(i).split(",");
            String[] now = after.get(i).split(",");
            assertThat(now[0]).isEqualTo(was[0]);
            if (!now[1].equals(was[1])) {
                assertThat(Integer.parseInt(now[1])).isEqualTo(1 - Integer.parseInt(was[1]));
                changed.add(now[0]);
            }
        }
        assertThat(changed).containsExactlyInAnyOrderElementsOf(flipped);

        // the same seed on the original file flips the same bags; another seed, others
        Files.write(site.resolve("bags.csv"), before);
        assertThat(LabelNoise.parse("site=1:fraction=0.2").apply(site, 7)).isEqualTo(flipped);
        Files.write(site.resolve("bags.csv"), before);
        assertThat(LabelNoise.parse("site=1:fraction=0.2").apply(site, 8)).isNotEqualTo(flipped);
    }

    @Test
    void aBadFlipSettingSaysWhatIsExpected() {
        assertThatThrownBy(() -> LabelNoise.parse("site=1")).hasMessageContaining("both site=N and fraction=F");
        assertThatThrownBy(() -> LabelNoise.parse("site=0:fraction=0.1")).hasMessageContaining("1-based");
        assertThatThrownBy(() -> LabelNoise.parse("site=1:fraction=1.5")).hasMessageContaining("(0, 1]");
    }

    @Test
    void aPlateauArmReducesTheRateOnlyFromTheHeldOutLossAndAnEverImprovingRunTrainsAsTheDefault() {
        SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2)
                .withBags(40, 40).withSeed(5));
        List<BagDataset> sites = data.sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Recipe base = new Recipe(2, 1, 2e-3, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        // a threshold no loss can meet: every round after round 0 is "no improvement", so with patience 0 the
        // rate halves before round 2 and the model must differ from the constant-rate one
        Recipe plateau = new TrainingVariant("schedule=reduce_on_plateau:patience=0:threshold=0.99").apply(base);
        // patience larger than the run: never reduces, so the arm is bit for bit the default
        Recipe patient = new TrainingVariant("schedule=reduce_on_plateau:patience=5").apply(base);
        var heldout = data.heldout().dataset().bags();
        try (MilModel constant = new Simulation(spec, Engine.getInstance().defaultDevice(), base, 42).federated(sites);
             MilModel reduced = new Simulation(spec, Engine.getInstance().defaultDevice(), plateau, 42, heldout)
                     .federated(sites);
             MilModel same = new Simulation(spec, Engine.getInstance().defaultDevice(), patient, 42, heldout)
                     .federated(sites)) {
            assertThat(same.weights()).isEqualTo(constant.weights());
            assertThat(reduced.weights()).isNotEqualTo(constant.weights());
        }
        assertThatThrownBy(() -> new Simulation(spec, Engine.getInstance().defaultDevice(), plateau, 42))
                .hasMessageContaining("needs the held-out bags");
    }

    private static RunRecord record(long seed, String variant, String noise, double auc) {
        return new RunRecord("fmnist-bags", seed, "attention", "federated:" + variant, 100, 100, auc, 0, 1, 0, 0,
                Double.NaN, 1, 5, 4, 1.0, null, null, null, null, null, null, List.of(), variant, noise);
    }

    @Test
    void theVariantTablePairsEachArmWithTheDefaultOfTheSameSplitAndNoise() {
        List<RunRecord> records = List.of(
                record(2, "default", null, 0.80), record(1, "default", null, 0.70),
                record(1, "batch=4", null, 0.75), record(2, "batch=4", null, 0.90),
                record(1, "default", "site=1:fraction=0.2", 0.60), record(1, "smoothing=0.1", "site=1:fraction=0.2", 0.50));
        String table = VariantReport.table(records);
        // batch=4: Δ = +0.05 on seed 1, +0.10 on seed 2 → mean 0.075, std 0.035; per split listed by seed
        assertThat(table).contains("| none | `batch=4` | 0.825 ± 0.106 | +0.075 ± 0.035 | 0.750 (1), 0.900 (2) | 2 |");
        assertThat(table).contains("| none | `default` | 0.750 ± 0.071 | — | 0.700 (1), 0.800 (2) | 2 |");
        // the noisy arm is compared with the noisy default (0.60), not the clean one (0.70)
        assertThat(table).contains("| site=1:fraction=0.2 | `smoothing=0.1` | 0.500 ± 0.000 | -0.100 ± 0.000 |");
    }
}
