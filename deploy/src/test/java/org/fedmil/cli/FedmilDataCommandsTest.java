package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FedmilDataCommandsTest {

    @TempDir
    Path tmp;

    private record Run(int rc, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Fedmil.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void dataGroupListsTheDatasetCommands() {
        Run help = run("data", "--help");

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
        Run r = run("data", "crc-nuclei", "--dataset", tmp.resolve("absent").toString(), "--out",
                tmp.resolve("out").toString());

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("crc-nuclei:", "absent", "not found").doesNotContain("Exception");
    }
}
