package org.fedmil.data.synth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.fedmil.mil.data.BagDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data synth}: the demo's data folders, and no overwriting of a folder that holds something. */
class SynthCommandTest {

    @TempDir
    Path tmp;

    @Test
    void synthCommandWritesTheFoldersAndRefusesANonEmptyOne() throws IOException {
        Path out = tmp.resolve("demo");
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new SynthCommand()).setOut(new PrintWriter(text))
                .setErr(new PrintWriter(text));

        int first = cli.execute("--out", out.toString(), "--sites", "2", "--bags-per-site", "12",
                "--heldout-bags", "10", "--dim", "8", "--seed", "5");
        int second = cli.execute("--out", out.toString());

        assertThat(first).isZero();
        assertThat(BagDataset.load(out.resolve("site-2")).dim()).isEqualTo(8);
        assertThat(BagDataset.load(out.resolve("heldout")).size()).isEqualTo(10);
        assertThat(second).isEqualTo(2);
        assertThat(text.toString()).contains("site-2", "is not empty", "--force");
    }
}
