package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.round.FederationPlan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** training.dp.mode and training.dp.sampling_rate: patient-level DP-SGD beside the site-level default. */
class DpModeConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir);
    }

    private Path yaml(String dp) throws Exception {
        return MinimalCoordinatorYaml.write(dir, "training:\n"
                + "  dp:\n"
                + "    clip_norm: 1.0\n"
                + "    noise_multiplier: 1.1\n" + dp);
    }

    @Test
    void withoutAModeTheExistingKeysStillMeanSiteLevelDp() throws Exception {
        FederationPlan.DpRequirement need = CoordinatorConfig.load(yaml("")).training().dpRequirement().orElseThrow();
        assertThat(need.perBag()).isFalse();
        assertThat(need.samplingRate()).isZero();
        assertThat(CoordinatorConfig.load(yaml("    mode: site_dp\n")).training().dpRequirement().orElseThrow()
                .perBag()).isFalse();
    }

    @Test
    void patientDpSgdCarriesItsSamplingRateIntoTheRequirement() throws Exception {
        FederationPlan.DpRequirement need = CoordinatorConfig.load(
                yaml("    mode: patient_dp_sgd\n    sampling_rate: 0.2\n")).training().dpRequirement().orElseThrow();
        assertThat(need.perBag()).isTrue();
        assertThat(need.samplingRate()).isEqualTo(0.2);
        assertThat(need.noiseMultiplier()).isEqualTo(1.1);
        assertThat(need.clipNorm()).isEqualTo(1.0);
    }

    @Test
    void anUnknownModeIsRefusedNamingTheKeyAndTheChoices() throws Exception {
        Path file = yaml("    mode: patient\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.mode").hasMessageContaining("site_dp")
                .hasMessageContaining("patient_dp_sgd");
    }

    @Test
    void patientDpSgdWithoutASamplingRateIsRefused() throws Exception {
        Path file = yaml("    mode: patient_dp_sgd\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.sampling_rate").hasMessageContaining("(0, 1]");
    }

    @Test
    void aSamplingRateOutsideZeroOneOrWithSiteLevelDpIsRefused() throws Exception {
        Path big = yaml("    mode: patient_dp_sgd\n    sampling_rate: 1.5\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(big)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.sampling_rate").hasMessageContaining("(0, 1]");
        Path zero = yaml("    mode: patient_dp_sgd\n    sampling_rate: 0\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(zero)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.sampling_rate");
        Path siteLevel = yaml("    sampling_rate: 0.1\n");
        assertThatThrownBy(() -> CoordinatorConfig.load(siteLevel)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("training.dp.sampling_rate").hasMessageContaining("patient_dp_sgd only");
    }
}
