package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.privacy.NoiseCalibration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** training.dp.mode dp_fedsgd: its keys, their defaults, and every combination it refuses. */
class DpFedSgdConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir);
    }

    /** Four sites, secure aggregation, FedAdam, 40 rounds, and the given dp keys after mode and clip_norm. */
    private Path yaml(String dp, String rest) throws Exception {
        return MinimalCoordinatorYaml.write(dir, "min_sites: 4\nrounds: 40\n" + rest + "training:\n  dp:\n"
                + "    mode: dp_fedsgd\n    clip_norm: 0.5\n" + dp);
    }

    private Path yaml(String dp) throws Exception {
        return yaml(dp, "secure_aggregation: true\nstrategy:\n  name: fedadam\n  server_learning_rate: 0.003\n");
    }

    private static void refused(Path file, String key, String... says) {
        var thrown = assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'" + key + "'");
        for (String s : says) {
            thrown.hasMessageContaining(s);
        }
    }

    @Test
    void aTargetEpsilonIsCalibratedToSigmaOverTheRoundsAndKMinDefaultsToTheThreshold() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n"));
        FederationPlan.DpRequirement need = c.training().dpRequirement().orElseThrow();
        assertThat(need.fedSgd()).isTrue();
        assertThat(need.perBag()).isFalse();
        assertThat(need.distributed()).isFalse();
        // the σ DpFedSgdTest pins for q = 0.25, 40 rounds, ε = 8, δ = 10⁻⁵
        assertThat(need.noiseMultiplier()).isEqualTo(NoiseCalibration.noiseMultiplierFor(8, 1e-5, 0.25, 40))
                .isCloseTo(1.318, org.assertj.core.data.Offset.offset(0.001));
        assertThat(need.delta()).isEqualTo(1e-5);
        // min_updates defaults to min_sites = 4, so t = max(4, 4/2 + 1) = 4
        assertThat(need.minNoisedSites()).isEqualTo(4);
        assertThat(need.dpFedSgd().samplingRate()).isEqualTo(0.25);
        assertThat(need.dpFedSgd().clipNorm()).isEqualTo(0.5);
    }

    @Test
    void anExplicitSigmaKMinAndDeltaAreTakenAsGiven() throws Exception {
        FederationPlan.DpRequirement need = CoordinatorConfig.load(yaml("    sampling_rate: 0.5\n"
                + "    noise_multiplier: 2.0\n    min_noised_sites: 3\n    delta: 1.0e-6\n")).training().dpRequirement()
                .orElseThrow();
        assertThat(need.noiseMultiplier()).isEqualTo(2.0);
        assertThat(need.minNoisedSites()).isEqualTo(3);
        assertThat(need.delta()).isEqualTo(1e-6);
    }

    @Test
    void withoutSecureAggregationItIsRefused() throws Exception {
        refused(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n", "strategy:\n  name: fedadam\n"),
                "secure_aggregation", "dp_fedsgd", "true");
    }

    @Test
    void anotherServerStrategyThanFedAdamIsRefused() throws Exception {
        refused(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n", "secure_aggregation: true\n"),
                "strategy.name", "fedadam");
    }

    @Test
    void kMinAboveTheExpectedSitesOrBelowTwoIsRefused() throws Exception {
        refused(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n    min_noised_sites: 5\n"),
                "training.dp.min_noised_sites", "min_sites = 4");
        refused(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n    min_noised_sites: 1\n"),
                "training.dp.min_noised_sites", "between 2");
    }

    @Test
    void neitherSigmaNorTargetOrAnUnreachableTargetIsRefused() throws Exception {
        refused(yaml("    sampling_rate: 0.25\n"), "training.dp.target_epsilon", "noise_multiplier");
        // ε = 0.5 over 40 rounds at q = 1 needs σ of about 60, above the sampler's 16
        refused(yaml("    sampling_rate: 1.0\n    target_epsilon: 0.5\n"), "training.dp.noise_multiplier",
                "(0, 16]");
    }

    @Test
    void aMissingOrOutOfRangeSamplingRateIsRefused() throws Exception {
        refused(yaml("    target_epsilon: 8\n"), "training.dp.sampling_rate", "(0, 1]");
        refused(yaml("    sampling_rate: 1.5\n    noise_multiplier: 1.0\n"), "training.dp.sampling_rate", "(0, 1]");
    }

    @Test
    void distributedAndTheFedSgdKeysInOtherModesAreRefused() throws Exception {
        refused(yaml("    sampling_rate: 0.25\n    target_epsilon: 8\n    distributed: true\n"),
                "training.dp.distributed", "always distributed");
        Path siteLevel = MinimalCoordinatorYaml.write(dir, "training:\n  dp:\n    clip_norm: 1.0\n"
                + "    noise_multiplier: 1.1\n    target_epsilon: 8\n");
        refused(siteLevel, "training.dp", "dp_fedsgd only");
    }
}
