package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.eval.MetricsJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks' JSON lines and tables: undefined AUCs as null and n/a, each run's warnings kept and listed. */
class RunRecordWarningsTest {

    @TempDir
    Path dir;

    private static RunRecord run(long seed, String arm, double auc, List<LearningWarning> warnings) {
        return new RunRecord("d", seed, "attention", arm, 80, 20, auc, auc - 0.1, auc + 0.05, 0.8, 0.7, Double.NaN,
                1).withWarnings(warnings);
    }

    @Test
    void aRunWithAnUndefinedAucAndWarningsSurvivesItsJsonLine() throws Exception {
        int[] y = {1, 1, 1};
        float[] p = {0.5f, 0.5f, 0.5f};
        var ci = BinaryMetrics.aucConfidenceInterval(y, p);
        RunRecord r = new RunRecord("d", 1, "attention", "federated", 80, 3, Double.NaN, ci.lower(), ci.upper(),
                0.5, Double.NaN, Double.NaN, 1).withWarnings(LearningCheck.scoredSet("held-out set", y, p, ci, true));
        String line = new ObjectMapper().registerModule(MetricsJson.module()).writeValueAsString(r);
        Files.writeString(dir.resolve("results.jsonl"), line + "\n"
                + "{\"dataset\":\"d\",\"seed\":2,\"architecture\":\"max\",\"arm\":\"centralised\",\"trainingBags\":80,"
                + "\"heldoutBags\":20,\"auc\":\"NaN\",\"aucLower\":\"NaN\",\"aucUpper\":\"NaN\",\"sensitivity\":0.5,"
                + "\"specificity\":0.5,\"localisation\":\"NaN\",\"seconds\":3.0}\n");

        List<RunRecord> back = MilBenchmark.readResults(dir.resolve("results.jsonl"));

        assertThat(line).doesNotContain("NaN").contains("\"auc\":null").contains("\"kind\":\"single_class\"")
                .contains("\"kind\":\"small_set\"");
        assertThat(back.get(0)).isEqualTo(r);
        assertThat(back.get(0).warnings()).extracting(LearningWarning::kind).containsExactly(
                LearningWarning.Kind.SINGLE_CLASS, LearningWarning.Kind.SMALL_SET,
                LearningWarning.Kind.NEAR_CONSTANT_SCORES);
        assertThat(back.get(1).auc()).as("a line written before, with NaN strings").isNaN();
        assertThat(back.get(1).warnings()).isEmpty();
        assertThat(MilBenchmark.fixed(back.get(0).auc(), "%.3f")).isEqualTo("n/a");
    }

    @Test
    void theReportListsEachWarningKindWithTheRunsThatRaisedIt() {
        LearningWarning flat = new LearningWarning(LearningWarning.Kind.NEAR_CONSTANT_SCORES, "flat");
        LearningWarning small = new LearningWarning(LearningWarning.Kind.SMALL_SET, "small");
        List<RunRecord> records = List.of(run(1, "federated", 0.55, List.of(flat, small)),
                run(2, "federated", 0.9, List.of(small)), run(1, "centralised", 0.93, List.of()));

        String md = BenchReport.warnings(records);

        assertThat(md).contains("Warnings (see \"The model learned nothing\" in docs/operator-guide.md):")
                .contains("- near_constant_scores: 1 of 3 runs (attention federated seed 1)\n")
                .contains("- small_set: 2 of 3 runs (attention federated seed 1, attention federated seed 2)\n");
        assertThat(BenchReport.warnings(List.of(run(1, "centralised", 0.9, List.of())))).isEmpty();
    }
}
