package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainLocalCommandTest {

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeEach
    void data() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2).withBags(60, 60).withSeed(3))
                .writeTo(tmp.resolve("data"));
    }

    @Test
    void oneSiteAloneTrainsEvaluatesOnTheHeldOutSetAndWritesAModelFile() {
        Path model = tmp.resolve("site-1.fedmil");
        CliRun r = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
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
        CliRun r = run("train-local", "--data", tmp.resolve("data/site-1") + "," + tmp.resolve("data/site-2"),
                "--heldout", tmp.resolve("data/heldout").toString(), "--epochs", "1");

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("on 120 bags from 2 folder(s) pooled (centralised)");
        assertThat(Files.exists(tmp.resolve("site-1.fedmil"))).isFalse();
    }

    @Test
    void tileOptionsOnAFeatureFolderOrAugmentationWithoutTilesAreOneClearLine() {
        CliRun r = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--augment", "flips");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).startsWith("fedmil: --augment applies to tile folders only");
    }

    @Test
    void theToolboxOptionsTrainAndAPlateauScheduleIsRefusedWithWhy() {
        CliRun r = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--epochs", "2", "--optimizer", "sgd", "--learning-rate",
                "0.01", "--momentum", "0.9", "--nesterov", "--schedule", "cosine", "--warmup-epochs", "0.5",
                "--bags-per-step", "4", "--loss", "gce", "--gce-q", "0.5", "--label-smoothing", "0.1");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("held-out .* \\(60 bags\\): AUC \\d\\.\\d{3}");

        CliRun plateau = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--schedule", "reduce_on_plateau");
        assertThat(plateau.rc()).isEqualTo(2);
        assertThat(plateau.err()).contains("reduce_on_plateau is decided by a coordinator");

        CliRun warmup = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--epochs", "2", "--schedule", "cosine", "--warmup-epochs", "2");
        assertThat(warmup.rc()).isEqualTo(2);
        assertThat(warmup.err()).contains("--warmup-epochs (2.0) must be 0 or more and fewer than --epochs (2)");
    }
}
