package org.fedmil.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.Resume;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** metrics.json: undefined metrics as null, the AUC interval and the warnings, read back by a restart. */
class MetricsJsonFileTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    @TempDir
    Path dir;

    private static GlobalModel model(long version, float w) {
        return GlobalModel.of(version, SPEC, new TensorSet(List.of(new NamedTensor("w", new long[] {2},
                new float[] {w, w}))));
    }

    @Test
    void anUndefinedAucAndTheRoundsWarningsSurviveMetricsJsonAndARestartResumesFromIt() throws Exception {
        int[] y = {0, 0, 0, 0};
        float[] p = {0.5f, 0.5f, 0.5f, 0.5f};
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(y, p);
        GlobalModel m0 = model(0, 1f);
        GlobalModel m1 = model(1, 2f);
        RoundResult r0 = new RoundResult(0, 0, Sha256.hex(m0.sha256()), List.of(), 0, Double.NaN,
                BinaryMetrics.of(y, p), 0.2, ci, LearningCheck.scoredSet("held-out set", y, p, ci, false));
        RoundResult r1 = new RoundResult(1, 1, Sha256.hex(m1.sha256()), List.of("a"), 12, 0.6931,
                BinaryMetrics.of(y, p), 0.4, ci, List.of(
                LearningCheck.scoredSet("held-out set", y, p, ci, true).get(0),
                LearningCheck.scoredSet("held-out set", y, p, ci, true).get(1),
                LearningCheck.trainingLoss(0.6931, Math.log(2), 5).orElseThrow()));
        StateStore store = new StateStore(dir);
        store.saveFederation(Map.of("federation_id", "fed", "model", SPEC));
        store.saveModel(m0);
        store.saveRound(r0);
        store.saveModel(m1);
        store.saveRound(r1);
        store.close();

        String text = Files.readString(dir.resolve("metrics.json"));
        assertThat(text).doesNotContain("NaN");
        JsonNode round1 = StateStore.JSON.readTree(text).get(1);
        assertThat(round1.path("heldout").path("auc").isNull()).isTrue();
        assertThat(round1.path("heldout").path("sensitivity").isNull()).isTrue();
        assertThat(round1.path("heldout_auc_ci").path("lower").isNull()).isTrue();
        assertThat(round1.path("warnings")).hasSize(3);
        assertThat(round1.path("warnings").get(1).path("kind").asText()).isEqualTo("small_set");
        assertThat(round1.path("warnings").get(0).path("kind").asText()).isEqualTo("single_class");
        assertThat(round1.path("warnings").get(2).path("kind").asText()).isEqualTo("loss_at_constant_predictor");
        assertThat(round1.path("warnings").get(2).path("message").asText()).startsWith("training loss 0.6931");
        assertThat(StateStore.JSON.readTree(text).get(0).path("train_loss").isNull()).isTrue();

        StateStore reopened = new StateStore(dir);
        assertThat(reopened.rounds()).containsExactly(r0, r1);
        assertThat(reopened.rounds().get(1).heldout().auc()).isNaN();
        assertThat(reopened.rounds().get(1).warnings()).extracting(LearningWarning::kind).containsExactly(
                LearningWarning.Kind.SINGLE_CLASS, LearningWarning.Kind.SMALL_SET,
                LearningWarning.Kind.LOSS_AT_CONSTANT_PREDICTOR);
        Resume resume = reopened.resume("fed", SPEC, m1.weights().specs()).orElseThrow();
        assertThat(resume.completed()).containsExactly(r0, r1);
        assertThat(resume.model().version()).isEqualTo(1);
        reopened.close();
    }

    @Test
    void aMetricsJsonWrittenBeforeIntervalsAndWarningsAndWithNaNStringsIsStillRead() throws Exception {
        Files.writeString(dir.resolve("metrics.json"), """
                [ {
                  "round" : 0, "model_version" : 0, "model_sha256" : "00", "sites" : [ ], "training_bags" : 0,
                  "train_loss" : "NaN",
                  "heldout" : { "n" : 2, "auc" : "NaN", "accuracy" : 0.5, "sensitivity" : 0.5,
                                "specificity" : "NaN", "loss" : 0.7, "threshold" : 0.5, "confusion" : null },
                  "seconds" : 0.1
                } ]""");

        RoundResult r = new StateStore(dir).rounds().get(0);

        assertThat(r.trainLoss()).isNaN();
        assertThat(r.heldout().auc()).isNaN();
        assertThat(r.heldout().loss()).isEqualTo(0.7);
        assertThat(r.heldoutAucCi()).isNull();
        assertThat(r.warnings()).isEmpty();
    }
}
