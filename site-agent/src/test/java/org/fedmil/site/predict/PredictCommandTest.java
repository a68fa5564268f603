package org.fedmil.site.predict;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagDatasetWriter;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.site.cli.PredictCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil predict} on new, unlabeled cases with a model trained for real on the same kind of bags. */
class PredictCommandTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 32, 16, 8);

    @TempDir
    Path dir;

    private Path model;
    private Path validation;
    private Path cases;
    private List<Bag> truth;

    private record Run(int exit, String out, Exception error) {
    }

    @BeforeEach
    void trainedModelAndNewCases() throws IOException {
        SyntheticMilData.SyntheticSite site = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1)
                .withBags(120, 4).withSeed(11)).sites().get(0);
        List<Bag> bags = site.dataset().bags();
        List<Bag> train = bags.subList(0, 60);
        validation = dir.resolve("validation");
        BagDatasetWriter.write(validation, BagDataset.of("validation", bags.subList(60, 90)));
        truth = bags.subList(90, 120);
        cases = dir.resolve("cases");
        BagDatasetWriter.write(cases, BagDataset.of("cases", truth));
        StringBuilder unlabeled = new StringBuilder(BagDataset.HEADER).append('\n');
        truth.forEach(b -> unlabeled.append(b.id()).append(",\n")); // new cases: nobody has labelled them
        Files.writeString(cases.resolve(BagDataset.INDEX_FILE), unlabeled);
        model = dir.resolve("final.fedmil");
        try (MilModel m = MilModel.create(SPEC, Device.cpu(), 3)) {
            new LocalTrainer().train(m, train, new TrainingOptions(15, 5e-3, 0, 4));
            ModelFile.write(model, SPEC, m.weights(), Map.of("model_version", "15"));
        }
    }

    private static Run predict(String... args) {
        StringWriter out = new StringWriter();
        Exception[] error = new Exception[1];
        CommandLine cl = new CommandLine(new PredictCommand()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(new StringWriter(), true));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            error[0] = e;
            return 2;
        });
        return new Run(cl.execute(args), out.toString(), error[0]);
    }

    @Test
    void newCasesGetAProbabilityAndADecisionAtTheThresholdChosenOnValidationBags() throws IOException {
        Path out = dir.resolve("out");
        Run run = predict("--data", cases.toString(), "--model", model.toString(), "--validation",
                validation.toString(), "--top", "3", "--out", out.toString());

        assertThat(run.error()).isNull();
        assertThat(run.out()).contains("scored 30 bags", "chosen on the labelled bags in", "Nothing was sent");
        List<String> rows = Files.readAllLines(out.resolve(PredictionFiles.PREDICTIONS));
        assertThat(rows).hasSize(31);
        JsonNode t = new ObjectMapper().readTree(out.resolve(PredictionFiles.THRESHOLD).toFile());
        assertThat(t.get("negatives").asInt() + t.get("positives").asInt()).isEqualTo(30);
        double threshold = t.get("threshold").asDouble();
        int right = 0;
        for (int i = 0; i < truth.size(); i++) {
            String[] f = rows.get(i + 1).split(",", -1);
            assertThat(f[0]).isEqualTo(truth.get(i).id());
            assertThat(f[1]).as("no label for a new case").isEmpty();
            int decision = Integer.parseInt(f[3]);
            assertThat(decision).isEqualTo(Double.parseDouble(f[2]) >= threshold ? 1 : 0);
            right += decision == truth.get(i).label() ? 1 : 0;
        }
        assertThat(right).as("decisions against the hidden labels").isGreaterThanOrEqualTo(24);
        assertThat(Files.readAllLines(out.resolve(PredictionFiles.TOP))).hasSize(1 + 30 * 3);
        assertThat(Files.readString(out.resolve(PredictionFiles.PAGE))).contains("decision threshold",
                "img-src data:;").doesNotContain("src=\"http");
    }

    @Test
    void withoutAThresholdOrValidationBagsItRefusesRatherThanUseHalf() {
        Run run = predict("--data", cases.toString(), "--model", model.toString(), "--out",
                dir.resolve("o").toString());
        assertThat(run.exit()).isNotZero();
        assertThat(run.error()).hasMessageContaining("choose the decision threshold")
                .hasMessageContaining("does not fall back to 0.5");
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void bagsOfAnotherWidthAreRefusedNamingBoth() throws IOException {
        Path narrow = dir.resolve("narrow");
        BagDatasetWriter.write(narrow, SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1)
                .withDim(8).withBags(10, 2).withSeed(2)).sites().get(0).dataset());
        Run run = predict("--data", narrow.toString(), "--model", model.toString(), "--threshold", "0.5", "--out",
                dir.resolve("o").toString());
        assertThat(run.error()).hasMessageContaining("expects 32 values per instance")
                .hasMessageContaining("have 8");
    }

    @Test
    void theJavaApiGivesTheSameProbabilitiesAsTheCommand() throws IOException {
        Path out = dir.resolve("out");
        predict("--data", cases.toString(), "--model", model.toString(), "--threshold", "0.5", "--out",
                out.toString());
        List<String> rows = Files.readAllLines(out.resolve(PredictionFiles.PREDICTIONS));
        try (Predictor p = Predictor.open(model, Device.cpu())) {
            BagDataset data = p.open(cases);
            assertThat(data.bags()).isEmpty();
            List<String> api = new ArrayList<>();
            for (Bag b : data.unlabeled()) {
                api.add(String.format(java.util.Locale.ROOT, "%.6f", p.predict(data, b, DecisionThreshold.given(0.5))
                        .probability()));
            }
            assertThat(rows.subList(1, rows.size())).extracting(r -> r.split(",")[2]).containsExactlyElementsOf(api);
        }
    }
}
