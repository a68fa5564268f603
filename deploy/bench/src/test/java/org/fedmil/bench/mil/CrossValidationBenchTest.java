package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fedmil.data.split.SplitSource;
import org.fedmil.data.synth.SyntheticMilData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bench mil --data DIR --folds K}: a user's own data set, cross-validated through every arm. */
class CrossValidationBenchTest {

    @TempDir
    Path tmp;

    private static CommandLine command() {
        return new CommandLine(new MilBenchCommand());
    }

    @Test
    void twoFoldCrossValidationOnAFeatureFolderScoresEveryBagOnceInEveryArm() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withDim(8).withBags(24, 2)
                .withSeed(3)).writeTo(tmp.resolve("synth"));
        Path data = tmp.resolve("synth/site-1");
        Path results = tmp.resolve("results.jsonl");
        Path report = tmp.resolve("report.md");

        int rc = command().execute("--data", data.toString(), "--folds", "2", "--sites", "2", "--rounds", "2",
                "--architectures", "attention", "--learning-rate", "1e-3", "--work", tmp.resolve("work").toString(),
                "--results", results.toString(), "--report", report.toString(), "--device", "cpu");

        assertThat(rc).isZero();
        List<RunRecord> records = MilBenchmark.readResults(results);
        assertThat(records).extracting(RunRecord::arm).containsOnly("federated", "centralised", "local:site-1",
                "local:site-2");
        assertThat(records).extracting(RunRecord::fold).containsOnly(1, 2);
        assertThat(records).extracting(RunRecord::dataset).containsOnly("site-1");
        List<RunRecord> federated = records.stream().filter(r -> r.arm().equals("federated")).toList();
        assertThat(federated).hasSize(2);
        assertThat(federated.stream().mapToInt(r -> r.heldoutLabels().size()).sum()).isEqualTo(24);
        assertThat(federated).allSatisfy(r -> assertThat(r.heldoutBags() + r.trainingBags()).isEqualTo(24));
        // validation stopping is on by default: each record says how far its arm ran and which model it kept
        assertThat(records).allSatisfy(r -> {
            assertThat(r.trained()).isBetween(1, 2);
            assertThat(r.kept()).isBetween(0, r.trained());
        });
        assertThat(Files.readString(report)).contains("pooled AUC", "| attention | federated |",
                "| attention | centralised |", "local-only, mean of sites", "| 2 | 24 |");
        try (Stream<Path> walk = Files.walk(tmp.resolve("work"))) {
            assertThat(walk.filter(Files::isSymbolicLink)).as("links removed after use").isEmpty();
        }
        assertThat(SplitSource.read(data).bags()).hasSize(24);
    }

    @Test
    void theTileFormatIsInferredFromSquareTilesOfOneSizeAndAskedForOtherwise() throws Exception {
        Path data = tmp.resolve("tiles");
        Files.createDirectories(data.resolve("tiles/a"));
        Files.createDirectories(data.resolve("tiles/b"));
        ImageIO.write(new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB), "png", data.resolve("tiles/a/0.png")
                .toFile());
        ImageIO.write(new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB), "png", data.resolve("tiles/b/0.png")
                .toFile());
        Files.writeString(data.resolve("bags.csv"), "bag_id,label\na,0\nb,1\n");
        assertThat(TileFormatGuess.of(SplitSource.read(data), 0, 0)).containsExactly(3, 12);
        assertThat(TileFormatGuess.of(SplitSource.read(data), 0, 1)).containsExactly(1, 12);

        ImageIO.write(new BufferedImage(10, 10, BufferedImage.TYPE_BYTE_GRAY), "png", data.resolve("tiles/b/0.png")
                .toFile());
        assertThatThrownBy(() -> TileFormatGuess.of(SplitSource.read(data), 0, 3))
                .hasMessageContaining("tiles differ in size").hasMessageContaining("pass --tile-size");
        assertThatThrownBy(() -> TileFormatGuess.of(SplitSource.read(data), 12, 0))
                .hasMessageContaining("some tiles are grey and some colour").hasMessageContaining("--channels");
        assertThat(TileFormatGuess.of(SplitSource.read(data), 16, 3)).containsExactly(3, 16);
    }

    /** Runs the command expecting it to fail; returns what it printed on stderr. */
    private static String refused(String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = new CommandLine(new MilBenchCommand());
        cl.setErr(new java.io.PrintWriter(err));
        assertThat(cl.execute(args)).isNotZero();
        return err.toString();
    }

    @Test
    void badOptionsAreRefusedSayingWhatToGive() {
        String results = tmp.resolve("r.jsonl").toString();
        assertThat(refused("--results", results)).contains("either --dataset", "--data DIR");
        assertThat(refused("--dataset", "fmnist-bags", "--folds", "5", "--results", results))
                .contains("--folds needs --data or --dataset crc-nuclei");
        assertThat(refused("--data", tmp.toString(), "--folds", "5", "--only-folds", "6", "--results", results))
                .contains("--only-folds 6: folds are 1..5");
        assertThat(refused("--data", tmp.toString(), "--work", tmp.resolve("w").toString(), "--results", results))
                .contains("overlaps --work");
        assertThat(refused("--data", tmp.resolve("none").toString(), "--work", "/tmp/elsewhere-" + tmp.hashCode(),
                "--results", results)).contains("not a folder");
    }
}
