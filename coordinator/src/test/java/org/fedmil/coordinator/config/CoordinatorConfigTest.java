package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir);
    }

    private Path yaml(String extra) throws Exception {
        return MinimalCoordinatorYaml.write(dir, extra);
    }

    @Test
    void missingKeysTakeTheDocumentedDefaultsAndPathsResolveAgainstTheFile() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(yaml(""));
        assertThat(c.rounds()).isEqualTo(50);
        assertThat(c.minSites()).isEqualTo(2);
        assertThat(c.listen().port()).isEqualTo(7443);
        assertThat(c.model().architecture()).isEqualTo("attention");
        assertThat(c.training().learningRate()).isEqualTo(5e-4);
        assertThat(c.training().localEpochs()).isEqualTo(1);
        assertThat(c.training().weightDecay()).isEqualTo(1e-4);
        assertThat(c.tls().cert()).isEqualTo(dir.resolve("cert.pem"));
        assertThat(c.stateDir()).isEqualTo(dir.resolve("coordinator-state"));
    }

    @Test
    void theServersHandshakeTimeoutIsConfigurableAndBounded() throws Exception {
        assertThat(CoordinatorConfig.load(yaml("")).limits().handshakeTimeoutSeconds()).isEqualTo(20);
        assertThat(CoordinatorConfig.load(yaml("limits:\n  handshake_timeout_seconds: 60\n")).limits()
                .handshakeTimeoutSeconds()).isEqualTo(60);
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("limits:\n  handshake_timeout_seconds: 0\n")))
                .hasMessageContaining("'limits.handshake_timeout_seconds' is 0, expected 1..600 seconds");
    }

    @Test
    void anUnknownKeyIsRefusedWithFileLineKeyAndTheKnownKeys() throws Exception {
        Path file = yaml("round: 5\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString() + ":6")
                .hasMessageContaining("unknown key 'round'")
                .hasMessageContaining("rounds");
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedWithItsKey() throws Exception {
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("training:\n  local_epochs: two\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("training.local_epochs");
    }

    @Test
    void anOutOfRangeValueIsRefusedWithWhatIsExpected() throws Exception {
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("min_sites: 0\n")))
                .hasMessageContaining("'min_sites' is 0, expected at least 1");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("model:\n  architecture: transformer\n")))
                .hasMessageContaining("model.architecture").hasMessageContaining("gated_attention");
    }

    @Test
    void aMissingCertificateFileIsNamed() throws Exception {
        Files.delete(dir.resolve("key.pem"));
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("")))
                .hasMessageContaining("'tls.key'").hasMessageContaining("fedmil pki issue");
    }

    @Test
    void roundRulesAndLimitsAreReadAndCheckedAgainstEachOther() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(yaml("""
                min_sites: 4
                min_updates: 3
                round_deadline_seconds: 90
                on_short_round: skip
                limits:
                  max_update_l2_norm: 50
                  max_update_bytes: 1000000
                  max_concurrent_calls_per_site: 4
                """));
        assertThat(c.roundRules()).isEqualTo(new org.fedmil.coordinator.round.RoundRules(3, 90_000,
                org.fedmil.coordinator.round.RoundRules.ShortRound.SKIP, 50.0));
        assertThat(c.limits().maxUpdateBytes()).isEqualTo(1_000_000L);
        assertThat(CoordinatorConfig.load(yaml("min_sites: 3\n")).minUpdates()).as("defaults to min_sites").isEqualTo(3);
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("min_sites: 2\nmin_updates: 3\n")))
                .hasMessageContaining("'min_updates' is 3, expected 1..2");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("on_short_round: wait\n")))
                .hasMessageContaining("'on_short_round' is wait, expected retry or skip");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("limits:\n  max_update_l2_norm: -1\n")))
                .hasMessageContaining("limits.max_update_l2_norm");
    }

    @Test
    void theStrategySectionIsReadAndCheckedKeyByKey() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(yaml("""
                strategy:
                  name: fedadam
                  server_learning_rate: 0.003
                  beta2: 0.999
                  clip_norm: 2.5
                """));
        assertThat(c.strategy().name()).isEqualTo("fedadam");
        var s = c.strategy().create();
        assertThat(s.parameters()).containsEntry("server_learning_rate", 0.003).containsEntry("beta2", 0.999)
                .containsEntry("beta1", 0.9).containsEntry("clip_norm", 2.5);
        assertThat(CoordinatorConfig.load(yaml("")).strategy().create().name()).isEqualTo("fedavg");
        assertThat(CoordinatorConfig.load(yaml("strategy:\n  name: fedprox\n  mu: 0.1\n")).strategy().create()
                .configure().proximalMu()).isEqualTo(0.1);

        Path wrongKey = yaml("strategy:\n  name: median\n  mu: 0.1\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(wrongKey)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'strategy.mu'").hasMessageContaining("does not apply to strategy median");
        Path badTrim = yaml("strategy:\n  name: trimmed_mean\n  trim_fraction: 0.6\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(badTrim)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("strategy.trim_fraction");
        Path unknown = yaml("strategy:\n  name: krum\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(unknown)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("strategy.name").hasMessageContaining("trimmed_mean");
        Path tooSmall = yaml("min_sites: 5\nstrategy:\n  name: median\n  max_buffered_updates: 4\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(tooSmall)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("strategy.max_buffered_updates").hasMessageContaining("min_sites");
    }

    @Test
    void secureAggregationIsOffByDefaultAndRefusesWhatNeedsIndividualUpdates() throws Exception {
        assertThat(CoordinatorConfig.load(yaml("")).secureAggregation()).isFalse();
        assertThat(CoordinatorConfig.load(yaml("min_sites: 3\nsecure_aggregation: true\n")).secureAggregation())
                .isTrue();
        assertThat(CoordinatorConfig.load(yaml("min_sites: 3\nsecure_aggregation: true\nstrategy:\n  name: fedadam\n"))
                .secureAggregation()).as("FedOpt needs only the mean").isTrue();
        assertThat(CoordinatorConfig.load(yaml("min_sites: 3\nsecure_aggregation: true\nstrategy:\n  name: fedavgm\n"))
                .secureAggregation()).as("FedAvgM declares itself linear").isTrue();
        for (String robust : java.util.List.of("median", "trimmed_mean")) {
            Path file = yaml("min_sites: 3\nsecure_aggregation: true\nstrategy:\n  name: " + robust + "\n");
            assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'strategy.name' is " + robust)
                    .hasMessageContaining("needs every site's individual update")
                    .hasMessageContaining("use fedadam, fedavg, fedavgm, fedprox or fedyogi");
        }
        Path clipped = yaml("min_sites: 3\nsecure_aggregation: true\nstrategy:\n  name: fedavg\n  clip_norm: 1.0\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(clipped)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("strategy.clip_norm").hasMessageContaining("training.dp.clip_norm");
        Path two = yaml("min_sites: 2\nsecure_aggregation: true\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(two)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("min_sites").hasMessageContaining("at least 3");
        Path compressed = yaml("min_sites: 3\nsecure_aggregation: true\ntraining:\n  compression: int8\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(compressed)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.compression");
    }

    @Test
    void distributedDpIsOffByDefaultAndNeedsSecureAggregation() throws Exception {
        String dp = "training:\n  dp:\n    clip_norm: 1.0\n    noise_multiplier: 0.8\n";
        assertThat(CoordinatorConfig.load(yaml(dp)).training().dp().distributed()).isFalse();
        CoordinatorConfig on = CoordinatorConfig.load(yaml("min_sites: 3\nsecure_aggregation: true\n" + dp
                + "    distributed: true\n"));
        assertThat(on.training().dp().distributed()).isTrue();
        assertThat(on.training().dpRequirement()).hasValueSatisfying(d -> assertThat(d.distributed()).isTrue());
        Path alone = yaml(dp + "    distributed: true\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(alone)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.distributed").hasMessageContaining("secure_aggregation is true");
        Path loud = yaml("min_sites: 3\nsecure_aggregation: true\ntraining:\n  dp:\n    clip_norm: 1.0\n"
                + "    noise_multiplier: 20\n    distributed: true\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(loud)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.noise_multiplier").hasMessageContaining("at most 16");
    }

    @Test
    void theEvaluationAndPseudoLabelSectionsAreOffByDefaultAndCheckedKeyByKey() throws Exception {
        CoordinatorConfig defaults = CoordinatorConfig.load(yaml(""));
        assertThat(defaults.evaluation().any()).isFalse();
        assertThat(defaults.pseudoLabels().threshold()).isZero();

        Files.createDirectories(dir.resolve("other-run").resolve("models"));
        CoordinatorConfig c = CoordinatorConfig.load(yaml("""
                model:
                  encoder: cnn
                  channels: 3
                  tile_size: 27
                evaluation:
                  tta: all
                  ensemble_last_k: 3
                  ensemble_models: [other-run]
                pseudo_labels:
                  threshold: 0.9
                """));
        assertThat(c.evaluation().flips()).isTrue();
        assertThat(c.evaluation().rotations()).isTrue();
        assertThat(c.evaluation().ensembleLastK()).isEqualTo(3);
        assertThat(c.evaluation().ensembleModels()).containsExactly(dir.resolve("other-run"));
        assertThat(c.pseudoLabels().threshold()).isEqualTo(0.9);

        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("evaluation:\n  tta: all\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("evaluation.tta")
                .hasMessageContaining("tile bags (encoder: cnn) only");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("evaluation:\n  tta: mirror\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("none, flips, rotations or all");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("evaluation:\n  ensemble_last_k: 1\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("evaluation.ensemble_last_k");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("evaluation:\n  ensemble_models: [nowhere.fedmil]\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nowhere.fedmil");
        for (String t : new String[]{"0.5", "0.3", "1.5"}) {
            assertThatThrownBy(() -> CoordinatorConfig.load(yaml("pseudo_labels:\n  threshold: " + t + "\n")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("pseudo_labels.threshold");
        }
    }
    @Test
    void modelInputDimIsReadAndMustMatchTheHeldOutSetsFeatureWidth() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(yaml("model:\n  input_dim: 20000\n  hidden_dim: 500\n"));
        assertThat(c.model().inputDim()).isEqualTo(20000);
        assertThat(c.model().specForData(20000, dir).inputDim()).isEqualTo(20000);
        assertThatThrownBy(() -> c.model().specForData(512, dir.resolve("heldout")))
                .hasMessageContaining("model.input_dim is 20000")
                .hasMessageContaining("has 512 features per instance")
                .hasMessageContaining(dir.resolve("heldout").toString())
                .hasMessageContaining("set model.input_dim to 512");
        // absent: the held-out set's width, as before
        assertThat(CoordinatorConfig.load(yaml("")).model().specForData(512, dir).inputDim()).isEqualTo(512);
    }

    @Test
    void modelInputDimIsRefusedWhenNegativeOrWithTheCnnEncoder() throws Exception {
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("model:\n  input_dim: -3\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'model.input_dim' is -3");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml(
                "model:\n  encoder: cnn\n  tile_size: 28\n  channels: 1\n  input_dim: 784\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absent for the cnn encoder");
    }

    @Test
    void heldOutEvaluationIsOnByDefaultAndCanBeTurnedOffButNotUnderExtraScores() throws Exception {
        assertThat(CoordinatorConfig.load(yaml("")).evaluation().heldOut()).isTrue();
        assertThat(CoordinatorConfig.load(yaml("evaluation:\n  held_out: false\n")).evaluation().heldOut())
                .isFalse();
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml(
                "evaluation:\n  held_out: false\n  ensemble_last_k: 3\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'evaluation.held_out' is false");
    }
}
