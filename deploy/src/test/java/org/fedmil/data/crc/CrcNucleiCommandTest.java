package org.fedmil.data.crc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data crc-nuclei} on a small fake data set: what it writes, and the options it refuses. */
class CrcNucleiCommandTest {

    private static final TileFormat FORMAT = new TileFormat(3, 27);

    @TempDir
    Path tmp;

    @Test
    void commandWritesTheSplitAndRefusesBadOptions() throws IOException {
        Path dataset = FakeCrcNuclei.write(tmp.resolve("fake"), 16, "");
        Path out = tmp.resolve("out");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cl = new CommandLine(new CrcNucleiCommand());
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));

        int rc = cl.execute("--dataset", dataset.toString(), "--out", out.toString(), "--sites", "3", "--seed", "5");

        assertThat(rc).as(stderr.toString()).isZero();
        assertThat(stdout.toString()).contains("wrote 4 tile site folders", "channels 3, size 27", "site-3",
                "heldout");
        assertThat(BagDataset.load(out.resolve("site-3"), FORMAT).size()).isGreaterThanOrEqualTo(2);
        assertThat(cl.execute("--dataset", dataset.toString(), "--out", out.toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("is not empty");
        assertThat(cl.execute("--dataset", dataset.toString(), "--out", tmp.resolve("o2").toString(), "--heldout",
                "0")).isEqualTo(2);
        assertThat(stderr.toString()).contains("held-out fraction must be between 0 and 1");
        assertThat(cl.execute("--dataset", tmp.resolve("none").toString(), "--out", tmp.resolve("o3").toString()))
                .isEqualTo(2);
        assertThat(stderr.toString()).contains("not found");
    }
}
