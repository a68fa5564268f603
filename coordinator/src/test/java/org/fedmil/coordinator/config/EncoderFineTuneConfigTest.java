package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** coordinator.yaml's encoder_fine_tune section: what it takes, what it refuses, each error naming the key. */
class EncoderFineTuneConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir, "encoder.pt");
    }

    private CoordinatorConfig load(String extra) throws Exception {
        return CoordinatorConfig.load(MinimalCoordinatorYaml.write(dir, extra));
    }

    @Test
    void withoutTheSectionNothingIsFineTuned() throws Exception {
        EncoderFineTuneSection f = load("").encoderFineTune();
        assertThat(f.enabled()).isFalse();
        assertThat(f.mode()).isEqualTo("none");
        assertThat(f.encoderFile()).isEmpty();
    }

    @Test
    void lastBlockTakesTheEncoderRelativeToTheFileAndTheTileFormat() throws Exception {
        EncoderFineTuneSection f = load("""
                encoder_fine_tune:
                  mode: last_block
                  encoder: encoder.pt
                  trainable_prefix: layer4.
                  tile_size: 112
                  channels: 3
                """).encoderFineTune();
        assertThat(f.enabled()).isTrue();
        assertThat(f.encoderFile()).contains(dir.resolve("encoder.pt"));
        assertThat(f.fineTuning().trainablePrefix()).contains("layer4.");
        assertThat(f.tiles().size()).isEqualTo(112);
        assertThat(f.normalisation().configName()).isEqualTo("imagenet");
    }

    @Test
    void settingsThatDoNotFitAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  mode: everything\n  encoder: encoder.pt\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encoder_fine_tune.mode must be none")
                .hasMessageContaining("'everything'");
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  mode: last_block\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'encoder_fine_tune.encoder' is unset");
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  mode: last_block\n  encoder: missing.pt\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encoder_fine_tune.encoder")
                .hasMessageContaining("missing.pt").hasMessageContaining("which must exist");
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  trainable_prefix: layer4.\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encoder_fine_tune.trainable_prefix 'layer4.'")
                .hasMessageContaining("encoder_fine_tune.mode is none");
        assertThatThrownBy(() -> load("model:\n  encoder: cnn\n  tile_size: 16\n  channels: 3\n"
                + "encoder_fine_tune:\n  mode: last_block\n  encoder: encoder.pt\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'model.encoder' is 'cnn'")
                .hasMessageContaining("mlp with encoder_fine_tune");
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  mode: last_block\n  encoder: encoder.pt\n  channels: 2\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encoder_fine_tune.channels");
        assertThatThrownBy(() -> load("encoder_fine_tune:\n  mode: last_block\n  encoder: encoder.pt\n"
                + "  normalise: zscore\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encoder_fine_tune.normalise");
        assertThatThrownBy(() -> load("evaluation:\n  ensemble_last_k: 3\n"
                + "encoder_fine_tune:\n  mode: last_block\n  encoder: encoder.pt\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no tta or ensemble");
    }
}
