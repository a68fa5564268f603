package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
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

    @Test
    void validationStopsTrainingAfterPatienceAndTheBestEpochsWeightsAreKept() throws Exception {
        Path site = tmp.resolve("data/site-1");
        Path model = tmp.resolve("best.fedmil");
        CliRun r = run("train-local", "--data", site.toString(), "--heldout", tmp.resolve("data/heldout").toString(),
                "--epochs", "40", "--learning-rate", "0.05", "--patience", "2", "--min-epochs", "1",
                "--out", model.toString());

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("on 60 bags from 1 folder(s) for 40 epochs at most: 12 of them kept for "
                + "validation and never trained on, stopping after 2 epochs without a lower validation loss");
        java.util.regex.Matcher epoch = java.util.regex.Pattern.compile(
                "epoch (\\d+)/40: train loss (\\d\\.\\d{4}), val loss (\\d+\\.\\d{4}), val auc (\\d\\.\\d{4}|n/a)( \\*)?")
                .matcher(r.out());
        java.util.List<Double> valLosses = new java.util.ArrayList<>();
        int bestEpoch = 0;
        double best = Double.POSITIVE_INFINITY;
        while (epoch.find()) {
            assertThat(Integer.parseInt(epoch.group(1))).isEqualTo(valLosses.size() + 1);
            double v = Double.parseDouble(epoch.group(3));
            valLosses.add(v);
            if (epoch.group(5) != null) {
                bestEpoch = valLosses.size();
                best = v;
            }
        }
        int last = valLosses.size();
        assertThat(last).as("epochs run, out of at most 40:\n" + r.out()).isBetween(2, 39);
        assertThat(last - bestEpoch).as("patience 2: stopped two epochs after the best").isEqualTo(2);
        assertThat(r.out()).contains("stopped early after epoch " + last + " of 40; kept the weights of epoch "
                + bestEpoch);

        // the model written is the best epoch's: scored on the same validation bags it gives the best loss
        BagDataset data = BagDataset.load(site);
        ValidationSplit.Assignment split = new ValidationSplit(0.2, 0).assignEntries(BagDataset.readIndex(site));
        try (MilModel kept = MilModel.create(ModelFile.read(model).spec(), 1L)) {
            kept.setWeights(ModelFile.read(model).weights());
            double loss = ValidationMetrics.of(kept, split.validationOf(data.bags())).loss();
            assertThat(loss).isCloseTo(best, org.assertj.core.api.Assertions.within(5e-5));
        }
    }

    @Test
    void validationOffTrainsEveryEpochOnEveryBagAndABadFractionIsOneClearLine() {
        CliRun off = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--epochs", "2", "--validation-fraction", "0");
        assertThat(off.rc()).as(off.err()).isZero();
        assertThat(off.out()).contains("on 60 bags from 1 folder(s) for 2 epochs\n").doesNotContain("val loss");

        CliRun bad = run("train-local", "--data", tmp.resolve("data/site-1").toString(), "--heldout",
                tmp.resolve("data/heldout").toString(), "--validation-fraction", "1");
        assertThat(bad.rc()).isEqualTo(2);
        assertThat(bad.err()).contains("--validation-fraction: validation fraction is 1.0; it must be in [0, 1)");
    }
}
