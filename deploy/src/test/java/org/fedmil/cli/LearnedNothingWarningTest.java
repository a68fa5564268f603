package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.e2e.RandomLabels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real training (DJL) on the synthetic data: with random labels, which do not depend on what the bags hold,
 * {@code fedmil train-local} says the model learned nothing; with the true labels it does not. The model memorises
 * 60 randomly labelled bags within 10 epochs (its training loss falls well below ln 2), so it is the held-out
 * AUC at chance that gives it away.
 */
class LearnedNothingWarningTest {

    private static final String LEARNED_NOTHING = "warning (loss_at_constant_predictor|near_constant_scores|chance_level_auc): ";

    @TempDir
    Path tmp;

    @BeforeEach
    void data() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(60, 100).withSeed(11))
                .writeTo(tmp.resolve("data"));
    }

    /** A copy of the site whose labels are replaced by {@link RandomLabels}. */
    private Path randomlyLabelledCopy(Path site, long seed) throws IOException {
        Path copy = tmp.resolve("random-labels");
        try (Stream<Path> files = Files.walk(site)) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(site.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        RandomLabels.relabel(copy, seed);
        return copy;
    }

    private CliRun trainLocal(Path site, String... more) {
        List<String> args = new ArrayList<>(List.of("train-local", "--data", site.toString(), "--heldout",
                tmp.resolve("data/heldout").toString()));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void randomLabelsFireTheLearnedNothingWarning() throws Exception {
        Path site = tmp.resolve("data/site-1");
        assertThat(Files.readAllLines(site.resolve("bags.csv")).get(0)).isEqualTo("bag_id,label");

        CliRun r = trainLocal(randomlyLabelledCopy(site, 5), "--epochs", "10");
        System.out.println(r.out());

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern(LEARNED_NOTHING).contains("docs/operator-guide.md");
    }

    @Test
    void randomLabelsAndAStepTooSmallToMemoriseLeaveTheLossNoBetterThanLnTwoAndSaySo() throws Exception {
        CliRun r = trainLocal(randomlyLabelledCopy(tmp.resolve("data/site-1"), 6), "--epochs", "5",
                "--learning-rate", "1e-5");
        System.out.println(r.out());

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("warning loss_at_constant_predictor: training loss \\d\\.\\d{4} after 5 "
                + "epochs is no better than a constant guess \\(0\\.6931 = ln 2\\)");
    }

    @Test
    void theTrueLabelsTrainWithoutTheLearnedNothingWarning() {
        // the default recipe, as a user runs it: validation, early stopping, 50 epochs at most
        CliRun r = trainLocal(tmp.resolve("data/site-1"));
        System.out.println(r.out());

        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("held-out .* \\(100 bags\\): AUC \\d\\.\\d{3} \\(95% CI")
                .containsPattern("training loss \\d\\.\\d{4} in the last epoch \\(a constant guess scores 0\\.6931\\)")
                .doesNotContainPattern(LEARNED_NOTHING).doesNotContain("warning ");
    }
}
