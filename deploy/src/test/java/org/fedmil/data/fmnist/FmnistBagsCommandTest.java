package org.fedmil.data.fmnist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data fmnist-bags}: what it writes from Fashion-MNIST, and the options and sources it refuses. */
class FmnistBagsCommandTest {

    private static final TileFormat FORMAT = new TileFormat(1, 28);

    @TempDir
    Path tmp;

    private static void assumeFashionMnist() {
        boolean present = Files.isDirectory(FmnistBags.DEFAULT_SOURCE);
        if (!present) {
            System.out.println("FmnistBagsCommandTest: skipped, " + FmnistBags.DEFAULT_SOURCE + " is absent (install "
                    + "the Debian package " + FmnistBags.APT_PACKAGE + ")");
        }
        Assumptions.assumeTrue(present, FmnistBags.DEFAULT_SOURCE + " is absent (apt-get install "
                + FmnistBags.APT_PACKAGE + ")");
    }

    @Test
    void commandWritesTheFoldersAndRefusesANonEmptyFolder() throws IOException {
        assumeFashionMnist();
        Path out = tmp.resolve("out");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cl = new CommandLine(new FmnistBagsCommand());
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));

        int rc = cl.execute("--out", out.toString(), "--sites", "2", "--train-bags", "10", "--heldout-bags", "4",
                "--seed", "3");

        assertThat(rc).as(stderr.toString()).isZero();
        assertThat(stdout.toString()).contains("wrote 3 tile site folders", "channels 1, size 28", "site-2",
                "heldout");
        assertThat(BagDataset.load(out.resolve("site-2"), FORMAT).size()).isGreaterThanOrEqualTo(2);
        assertThat(cl.execute("--out", out.toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("is not empty", "--force");
    }

    @Test
    void commandRefusesBadOptionsWithAMessage() {
        StringWriter stderr = new StringWriter();
        CommandLine cl = new CommandLine(new FmnistBagsCommand());
        cl.setErr(new PrintWriter(stderr));

        assertThat(cl.execute("--out", tmp.resolve("x").toString(), "--target-class", "10")).isEqualTo(2);
        assertThat(stderr.toString()).contains("target class must be a Fashion-MNIST class 0-9, got 10");
        assertThat(cl.execute("--out", tmp.resolve("x").toString(), "--sites", "4", "--train-bags", "7"))
                .isEqualTo(2);
        assertThat(stderr.toString()).contains("at least 2 per site");
    }

    @Test
    void missingSourceNamesTheAptPackage() {
        Path nowhere = tmp.resolve("no-such-folder");
        StringWriter stderr = new StringWriter();
        CommandLine cl = new CommandLine(new FmnistBagsCommand());
        cl.setErr(new PrintWriter(stderr));
        assertThat(cl.execute("--out", tmp.resolve("o").toString(), "--source", nowhere.toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("dataset-fashion-mnist");
    }
}
