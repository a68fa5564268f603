package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoCommandTest {

    @TempDir
    Path dir;

    @Test
    void theTenMillionParameterWorkloadIsPrintedWithItsBytesAndTensors() {
        CliRun run = CliRun.of("model", "info", "--input-dim", "20000", "--hidden-dim", "500", "--attention-dim",
                "128");
        assertThat(run.rc()).as(run.err()).isZero();
        // 20000·500 + 500 + 128·500 + 2·128 + 500 + 1
        assertThat(run.out()).contains("parameters 10,065,257").contains("bytes      40,261,028")
                .contains("tensors    7").contains("encoder.0.weight").contains("[500, 20000]");
    }

    @Test
    void aParameterTargetChoosesTheInputWidth() {
        CliRun run = CliRun.of("model", "info", "--parameters", "10020021", "--hidden-dim", "500",
                "--attention-dim", "128");
        assertThat(run.rc()).as(run.err()).isZero();
        assertThat(run.out()).contains("attention/mlp(19909) hidden 500").contains("parameters 10,019,757");
    }

    @Test
    void aCoordinatorConfigsInputDimIsUsed() throws Exception {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder");
        }
        Files.createDirectories(dir.resolve("heldout"));
        Path yaml = dir.resolve("coordinator.yaml");
        Files.writeString(yaml, """
                tls: {cert: cert.pem, key: key.pem, ca: ca.pem}
                heldout_dir: heldout
                model: {architecture: gated_attention, input_dim: 1000, hidden_dim: 10, attention_dim: 4}
                """);
        CliRun run = CliRun.of("model", "info", "--config", yaml.toString());
        assertThat(run.rc()).as(run.err()).isZero();
        // 1000·10 + 10 + 2·(4·10 + 4) + 4 + 10 + 1
        assertThat(run.out()).contains("parameters 10,113").contains("tensors    9");
    }

    @Test
    void theMlpEncoderWithoutAWidthIsRefusedWithWhatToGive() {
        CliRun run = CliRun.of("model", "info");
        assertThat(run.rc()).isNotZero();
        assertThat(run.err()).contains("--input-dim").contains("--parameters").contains("--config");
    }
}
