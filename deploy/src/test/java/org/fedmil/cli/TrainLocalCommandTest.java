package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainLocalCommandTest {

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

    @BeforeEach
    void data() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2).withBags(60, 60).withSeed(3))
                .writeTo(tmp.resolve("data"));
    }

    @Test
    void oneSiteAloneTrainsEvaluatesOnTheHeldOutSetAndWritesAModelFile() {
        Path model = tmp.resolve("site-1.fedmil");
        Run r = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--epochs", "3", "--architecture", "gated_attention",
                "--out", model.toString());

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("training gated_attention/mlp", "on 60 bags from 1 folder(s) for 3 epochs")
                .containsPattern("held-out .* \\(60 bags\\): AUC \\d\\.\\d{3} \\(95% CI")
                .contains("sensitivity", "specificity", "TP ", "model written to " + model);
        ModelFile file = ModelFile.read(model);
        assertThat(file.spec().architecture()).isEqualTo(Architecture.GATED_ATTENTION);
        assertThat(file.metadata()).containsEntry("trained_by", "fedmil train-local").containsKey("heldout_auc");
    }

    @Test
    void severalFoldersArePooledAsTheCentralisedBaseline() {
        Run r = run("train-local", "--data", tmp.resolve("data/site-1") + "," + tmp.resolve("data/site-2"),
                "--heldout", tmp.resolve("data/heldout").toString(), "--epochs", "1");

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("on 120 bags from 2 folder(s) pooled (centralised)");
        assertThat(Files.exists(tmp.resolve("site-1.fedmil"))).isFalse();
    }

    @Test
    void tileOptionsOnAFeatureFolderOrAugmentationWithoutTilesAreOneClearLine() {
        Run r = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--augment", "flips");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).startsWith("fedmil: --augment applies to tile folders only");
    }
}
