package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The cross-validation tables: pooled AUC over every fold's held-out bags, and fold AUCs. */
class FoldReportTest {

    private static RunRecord run(String arm, int fold, double auc, float... probabilities) {
        return new RunRecord("crc", 1, "attention", arm, 10, 2, auc, 0, 1, 0.5, 0.5, Double.NaN, 1.0)
                .withFold(fold, new int[] {0, 1}, probabilities);
    }

    @Test
    void poolsEveryFoldsScoresIntoOneAucBesideTheMeanOfFoldAucs() {
        List<RunRecord> records = List.of(
                run("federated", 1, 1.0, 0.2f, 0.8f), run("federated", 2, 1.0, 0.3f, 0.9f),
                // fold 1 ranks backwards, fold 2 right: pooled, 2 of the 4 positive-negative pairs are in order
                run("centralised", 1, 0.0, 0.8f, 0.2f), run("centralised", 2, 1.0, 0.3f, 0.9f),
                run("local:site-1", 1, 0.6, 0.5f, 0.5f), run("local:site-2", 1, 0.8, 0.5f, 0.5f),
                run("local:site-1", 2, 0.4, 0.5f, 0.5f), run("local:site-2", 2, 0.6, 0.5f, 0.5f));

        String table = FoldReport.table(records);

        assertThat(table).contains("split seed 1, 2 fold(s) run");
        assertThat(table).containsPattern("\\| attention \\| federated \\| 1\\.000 \\[[0-9.]+, [0-9.]+\\] \\| "
                + "1\\.000 ± 0\\.000 \\| 2 \\| 4 \\|");
        assertThat(table).containsPattern("\\| attention \\| centralised \\| 0\\.500 \\[[0-9.]+, [0-9.]+\\] \\| "
                + "0\\.500 ± 0\\.707 \\| 2 \\| 4 \\|");
        // local arms: mean over sites per fold (0.7, 0.5), never pooled
        assertThat(table).contains("| attention | local-only, mean of sites | – | 0.600 ± 0.141 | 2 | – |");
        assertThat(table).contains("| attention | 1 | 2 (1) | 1.000 | 0.000 | 0.700 |",
                "| attention | 2 | 2 (1) | 1.000 | 1.000 | 0.500 |");
    }

    @Test
    void aFoldRecordSurvivesTheJsonLinesRoundTrip() throws Exception {
        RunRecord r = run("federated", 3, 0.9, 0.25f, 0.75f);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        RunRecord back = json.readValue(json.writeValueAsString(r), RunRecord.class);
        assertThat(back.fold()).isEqualTo(3);
        assertThat(back.heldoutLabels()).containsExactly(0, 1);
        assertThat(back.heldoutProbabilities()).containsExactly(0.25f, 0.75f);
        RunRecord seeded = new RunRecord("crc", 1, "attention", "federated", 10, 2, 0.9, 0, 1, 0.5, 0.5, 0, 1);
        assertThat(json.readValue(json.writeValueAsString(seeded), RunRecord.class).fold()).isNull();
    }
}
