package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** training.optimizer, .schedule, .bags_per_step, .label_smoothing and .gce_q in coordinator.yaml. */
class TrainingToolboxConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir);
    }

    private Path yaml(String extra) throws Exception {
        return MinimalCoordinatorYaml.write(dir, "rounds: 10\n" + extra);
    }

    @Test
    void leftOutEverySiteTrainsAsBeforeAdamOneBagPerStepConstantRateHardLabels() throws Exception {
        CoordinatorConfig.Training t = CoordinatorConfig.load(yaml("")).training();
        assertThat(t.optimizerConfig()).isEqualTo(OptimizerConfig.ADAM);
        assertThat(t.bagsPerStep()).isEqualTo(1);
        assertThat(t.schedule().learningRateSchedule()).isEqualTo(LearningRateSchedule.CONSTANT);
        assertThat(t.lossConfig()).isEqualTo(LossConfig.DEFAULT);
    }

    @Test
    void everyNewKeyIsRead() throws Exception {
        CoordinatorConfig.Training t = CoordinatorConfig.load(yaml("""
                training:
                  optimizer: sgd
                  momentum: 0.9
                  nesterov: true
                  bags_per_step: 4
                  loss: gce
                  gce_q: 0.5
                  label_smoothing: 0.1
                  schedule:
                    kind: cosine
                    warmup_rounds: 1.5
                    min_learning_rate: 0.00001
                """)).training();
        assertThat(t.optimizerConfig()).isEqualTo(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.9, true));
        assertThat(t.bagsPerStep()).isEqualTo(4);
        assertThat(t.lossConfig().kind()).isEqualTo(LossConfig.Kind.GCE);
        assertThat(t.lossConfig().gceQ()).isEqualTo(0.5);
        assertThat(t.lossConfig().labelSmoothing()).isEqualTo(0.1);
        assertThat(t.schedule().learningRateSchedule()).isEqualTo(LearningRateSchedule.cosine(1.5, 1e-5));
    }

    @Test
    void reduceOnPlateauTakesItsSettings() throws Exception {
        CoordinatorConfig.Training t = CoordinatorConfig.load(yaml("""
                training:
                  schedule:
                    kind: reduce_on_plateau
                    factor: 0.2
                    patience: 3
                    threshold: 0.01
                """)).training();
        assertThat(t.schedule().learningRateSchedule())
                .isEqualTo(LearningRateSchedule.reduceOnPlateau(0.2, 3, 0.01, 0));
    }

    @Test
    void badValuesAreRefusedNamingTheSectionAndWhatIsExpected() throws Exception {
        assertRefused("training:\n  optimizer: rmsprop\n", "unknown optimizer 'rmsprop'", "adamw");
        assertRefused("training:\n  optimizer: adam\n  nesterov: true\n", "nesterov applies to optimizer sgd");
        assertRefused("training:\n  bags_per_step: 0\n", "training.bags_per_step", "at least 1");
        assertRefused("training:\n  label_smoothing: 0.7\n", "label_smoothing must be in 0..0.5");
        assertRefused("training:\n  loss: gce\n  gce_q: 1.5\n", "gce_q must be in (0, 1]");
        assertRefused("training:\n  schedule:\n    kind: step\n", "training.schedule", "unknown learning-rate schedule 'step'");
        assertRefused("training:\n  schedule:\n    kind: cosine\n    warmup_rounds: 10\n",
                "training.schedule", "warmup_rounds (10.0) must be fewer than the federation's 10 rounds");
        assertRefused("training:\n  learning_rate: 0.001\n  schedule:\n    kind: cosine\n    min_learning_rate: 0.01\n",
                "min_learning_rate (0.01) must be below the learning rate (0.001)");
        assertRefused("training:\n  schedule:\n    kind: reduce_on_plateau\n    factor: 1\n", "factor must be in (0, 1)");
    }

    private void assertRefused(String training, String... fragments) throws Exception {
        Path file = yaml(training);
        var thrown = assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString());
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
    }
}
