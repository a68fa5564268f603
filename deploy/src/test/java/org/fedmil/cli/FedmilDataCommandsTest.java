package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FedmilDataCommandsTest {

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void dataGroupListsTheDatasetCommands() {
        CliRun help = run("data", "--help");

        assertThat(help.rc()).isZero();
        assertThat(help.out()).contains("synth", "fmnist-bags", "crc-nuclei");
    }

    @Test
    void datasetCommandsExplainTheirOptions() {
        assertThat(run("data", "fmnist-bags", "--help").out()).contains("--source", "--sites", "--train-bags",
                "--heldout-bags", "--target-class", "--alpha", "--seed", "/usr/share/datasets/fashion-mnist");
        assertThat(run("data", "crc-nuclei", "--help").out()).contains("--dataset", "--out", "--sites", "--alpha",
                "--heldout", "--seed");
    }

    @Test
    void aMissingDataSetIsOneClearLine() {
        CliRun r = run("data", "crc-nuclei", "--dataset", tmp.resolve("absent").toString(), "--out",
                tmp.resolve("out").toString());

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("crc-nuclei:", "absent", "not found").doesNotContain("Exception");
    }
}
