package org.fedmil.site.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.active.Uncertainty;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagDatasetWriter;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil site suggest} on a real generated feature-bag site with unlabeled bags and a real model file. */
class SuggestCommandTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 32, 16, 8);

    @TempDir
    Path dir;

    private Path data;
    private Path model;
    private TensorSet weights;

    private record Run(int exit, String out, Exception error) {
    }

    @BeforeEach
    void site() throws IOException {
        BagDataset generated = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1)
                .withBags(24, 4).withSeed(5)).sites().get(0).dataset();
        data = dir.resolve("data");
        BagDatasetWriter.write(data, generated);
        // bags 0, 3, 6, … not labelled yet
        List<String> lines = Files.readAllLines(data.resolve(BagDataset.INDEX_FILE));
        StringBuilder csv = new StringBuilder(lines.get(0)).append('\n');
        for (int i = 1; i < lines.size(); i++) {
            String id = lines.get(i).split(",")[0];
            csv.append((i - 1) % 3 == 0 ? id + "," : lines.get(i)).append('\n');
        }
        Files.writeString(data.resolve(BagDataset.INDEX_FILE), csv.toString(), StandardCharsets.UTF_8);
        model = dir.resolve("state").resolve("global-model.fedmil");
        try (MilModel m = MilModel.create(SPEC, Device.cpu(), 1)) {
            Random rng = new Random(2);
            List<NamedTensor> noisy = new ArrayList<>();
            for (NamedTensor t : m.weights().tensors()) {
                float[] v = new float[t.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.3 * rng.nextGaussian());
                }
                noisy.add(new NamedTensor(t.name(), t.shape(), v));
            }
            weights = new TensorSet(noisy);
            ModelFile.write(model, SPEC, weights, Map.of("model_version", "4"));
        }
    }

    private static Run suggest(String... args) {
        StringWriter out = new StringWriter();
        Exception[] error = new Exception[1];
        CommandLine cl = new CommandLine(new SiteCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            error[0] = e;
            return 2;
        });
        String[] full = new String[args.length + 1];
        full[0] = "suggest";
        System.arraycopy(args, 0, full, 1, args.length);
        return new Run(cl.execute(full), out.toString(), error[0]);
    }

    @Test
    void theUnlabeledBagsAreRankedMostUncertainFirstAndWrittenAtTheSite() throws IOException {
        Path out = dir.resolve("state").resolve("suggest.csv");
        Run run = suggest("--data", data.toString(), "--model", model.toString(), "--out", out.toString(),
                "--top", "3");
        assertThat(run.error()).isNull();
        assertThat(run.exit()).isZero();

        BagDataset dataset = BagDataset.load(data);
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("rank,bag_id,probability,entropy,instance_disagreement,view_disagreement");
        List<String[]> rows = lines.subList(1, lines.size()).stream().map(l -> l.split(",", -1)).toList();
        assertThat(rows).extracting(r -> r[1])
                .containsExactlyInAnyOrderElementsOf(dataset.unlabeled().stream().map(Bag::id).toList());
        // the probability and entropy are the model's, and the rows go down in entropy
        try (MilModel m = MilModel.create(SPEC, Device.cpu(), 0)) {
            m.setWeights(weights);
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                assertThat(Integer.parseInt(r[0])).isEqualTo(i + 1);
                Bag bag = dataset.unlabeled().stream().filter(b -> b.id().equals(r[1])).findFirst().orElseThrow();
                double p = m.predictProbabilities(List.of(bag))[0];
                assertThat(Double.parseDouble(r[2])).isCloseTo(p, org.assertj.core.api.Assertions.within(1e-5));
                assertThat(Double.parseDouble(r[3])).isCloseTo(Uncertainty.entropy(p),
                        org.assertj.core.api.Assertions.within(1e-5));
                if (i > 0) {
                    assertThat(Double.parseDouble(r[3])).isLessThanOrEqualTo(Double.parseDouble(rows.get(i - 1)[3]));
                }
                assertThat(r[5]).as("no views: no view disagreement").isEmpty();
            }
        }
        assertThat(run.out()).contains("8 unlabeled bags", "ranked by entropy", "nothing was sent");
        assertThat(run.out().lines().filter(l -> l.matches("\\s+\\d+\\s+.*"))).hasSize(3);
    }

    @Test
    void balancedEntropyListsTheEntropyOrderAlternatelyByPredictedClass() throws IOException {
        Path plain = dir.resolve("plain.csv");
        Path balanced = dir.resolve("balanced.csv");
        assertThat(suggest("--data", data.toString(), "--model", model.toString(), "--out", plain.toString()).exit())
                .isZero();
        Run run = suggest("--data", data.toString(), "--model", model.toString(), "--out", balanced.toString(),
                "--by", "balanced_entropy");
        assertThat(run.error()).isNull();
        assertThat(run.out()).contains("ranked by balanced_entropy");
        List<String[]> byEntropy = rows(plain);
        List<String[]> rows = rows(balanced);
        // the same bags with the same scores; the order is the entropy order split by predicted class, alternating
        assertThat(rows).extracting(r -> r[1]).containsExactlyInAnyOrderElementsOf(
                byEntropy.stream().map(r -> r[1]).toList());
        List<String> positives = byEntropy.stream().filter(r -> Double.parseDouble(r[2]) >= 0.5).map(r -> r[1])
                .toList();
        List<String> negatives = byEntropy.stream().filter(r -> Double.parseDouble(r[2]) < 0.5).map(r -> r[1])
                .toList();
        assertThat(positives).as("this model predicts both classes on the site, or nothing alternates").isNotEmpty();
        assertThat(negatives).isNotEmpty();
        List<String> first = positives.contains(byEntropy.get(0)[1]) ? positives : negatives;
        List<String> second = first == positives ? negatives : positives;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < Math.max(first.size(), second.size()); i++) {
            if (i < first.size()) {
                expected.add(first.get(i));
            }
            if (i < second.size()) {
                expected.add(second.get(i));
            }
        }
        assertThat(rows).extracting(r -> r[1]).containsExactlyElementsOf(expected);
        assertThat(rows.get(0)[1]).isEqualTo(byEntropy.get(0)[1]);
    }

    private static List<String[]> rows(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().map(l -> l.split(",", -1)).toList();
    }

    @Test
    void aSiteWithEveryBagLabelledHasNothingToSuggest() throws IOException {
        BagDatasetWriter.write(dir.resolve("all"), BagDataset.of("all", BagDataset.load(data).bags()));
        Run run = suggest("--data", dir.resolve("all").toString(), "--model", model.toString(), "--out",
                dir.resolve("none.csv").toString());
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("every bag", "is labelled", "nothing to suggest");
        assertThat(dir.resolve("none.csv")).doesNotExist();
    }

    @Test
    void badRequestsSayWhatIsWrong() {
        Run views = suggest("--data", data.toString(), "--model", model.toString(), "--tta", "all");
        assertThat(views.error()).hasMessageContaining("feature vectors").hasMessageContaining("leave --tta out");
        Run by = suggest("--data", data.toString(), "--model", model.toString(), "--by", "margin");
        assertThat(by.error()).hasMessageContaining("unknown uncertainty 'margin'");
        Run noModel = suggest("--data", data.toString(), "--model", dir.resolve("missing.fedmil").toString());
        assertThat(noModel.error()).hasMessageContaining("no model file at");
        Run nothing = suggest();
        assertThat(nothing.error()).hasMessageContaining("--config site.yaml");
    }
}
