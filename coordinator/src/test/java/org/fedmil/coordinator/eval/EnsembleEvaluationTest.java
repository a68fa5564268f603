package org.fedmil.coordinator.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ModelEnsemble;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator's extra held-out scores, round by round, against the same computations done by hand. */
class EnsembleEvaluationTest {

    private static final TileFormat GREY4 = new TileFormat(1, 4);
    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, GREY4.dim(), 6, 3);

    @TempDir
    Path dir;

    private static List<Bag> heldout() {
        Random rng = new Random(12);
        List<Bag> out = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = 1 + rng.nextInt(4);
            float[] x = new float[n * GREY4.dim()];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) rng.nextGaussian() + (i % 2) * 0.3f;
            }
            out.add(new Bag("h" + i, i % 2, n, GREY4.dim(), x));
        }
        return out;
    }

    private static TensorSet weights(long seed) {
        try (MilModel m = MilModel.create(SPEC, seed)) {
            return m.weights();
        }
    }

    private static RoundResult round(int r, MilModel scorer, TensorSet w, List<Bag> bags) {
        scorer.setWeights(w);
        return new RoundResult(r, r, "sha", List.of(), 0, Double.NaN, scorer.evaluate(bags), 0.1);
    }

    @Test
    void everyRoundGetsTtaLastKAndOtherFederationScoresBesideItsOwnAuc() throws Exception {
        List<Bag> bags = heldout();
        TestTimeAugmentation tta = new TestTimeAugmentation(new TileAugmentation(GREY4, true, false));
        TensorSet other = weights(100);
        StateStore store = new StateStore(dir.resolve("state"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<TensorSet> rounds = List.of(weights(1), weights(2), weights(3), weights(4));
        try (MilModel scorer = MilModel.create(SPEC, 0);
             EnsembleEvaluation extra = new EnsembleEvaluation(MilModel.create(SPEC, 0), bags, Optional.of(tta), 2,
                     List.of(other), store, new PrintStream(console, true, StandardCharsets.UTF_8))) {
            for (int r = 0; r < rounds.size(); r++) {
                RoundResult result = round(r, scorer, rounds.get(r), bags);
                extra.roundCompleted(result, GlobalModel.of(r, SPEC, rounds.get(r)));

                ExtraHeldOutMetrics row = extra.rows().get(r);
                assertThat(row.round()).isEqualTo(r);
                assertThat(row.auc()).isEqualTo(result.heldout().auc());
                scorer.setWeights(rounds.get(r));
                assertThat(row.ttaAuc()).isEqualTo(tta.evaluate(scorer, bags).auc());
                assertThat(row.ttaViews()).isEqualTo(4);
                List<TensorSet> window = rounds.subList(Math.max(0, r - 1), r + 1);
                assertThat(row.lastRoundsModels()).isEqualTo(window.size());
                assertThat(row.lastRoundsAuc()).isEqualTo(new ModelEnsemble(window).evaluate(scorer, bags,
                        Optional.empty()).auc());
                assertThat(row.runsModels()).isEqualTo(2);
                assertThat(row.runsAuc()).isEqualTo(new ModelEnsemble(List.of(rounds.get(r), other))
                        .evaluate(scorer, bags, Optional.empty()).auc());
            }
            // the ensemble is not just the last model, nor TTA the plain score (the test would notice a no-op)
            ExtraHeldOutMetrics last = extra.rows().get(3);
            assertThat(List.of(last.lastRoundsAuc(), last.runsAuc(), last.ttaAuc())).anySatisfy(a ->
                    assertThat(a).isNotEqualTo(last.auc()));
        }
        String json = Files.readString(dir.resolve("state").resolve(EnsembleEvaluation.FILE));
        assertThat(StateStore.JSON.readTree(json)).hasSize(4);
        assertThat(json).contains("\"tta_auc\"", "\"last_rounds_auc\"", "\"runs_auc\"");
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("held-out extra, round 3: auc ",
                "tta(4 views)", "last 2 models", "2 federations");
    }

    @Test
    void afterARestartTheLastKWindowIsRefilledFromTheRoundModelsOfTheStateFolder() {
        List<Bag> bags = heldout();
        StateStore store = new StateStore(dir.resolve("state"));
        List<TensorSet> rounds = List.of(weights(1), weights(2), weights(3), weights(4));
        try (MilModel scorer = MilModel.create(SPEC, 0)) {
            // rounds 0–2 recorded as the coordinator's Reporter records them, then a new coordinator process
            for (int r = 0; r < 3; r++) {
                store.saveModel(GlobalModel.of(r, SPEC, rounds.get(r)));
                store.saveRound(round(r, scorer, rounds.get(r), bags));
            }
            try (EnsembleEvaluation resumed = new EnsembleEvaluation(MilModel.create(SPEC, 0), bags,
                    Optional.empty(), 3, List.of(), store, new PrintStream(new ByteArrayOutputStream()))) {
                RoundResult r3 = round(3, scorer, rounds.get(3), bags);
                resumed.roundCompleted(r3, GlobalModel.of(3, SPEC, rounds.get(3)));
                ExtraHeldOutMetrics row = resumed.rows().get(0);
                assertThat(row.lastRoundsModels()).isEqualTo(3);
                assertThat(row.lastRoundsAuc()).isEqualTo(new ModelEnsemble(rounds.subList(1, 4)).evaluate(scorer, bags,
                        Optional.empty()).auc());
                assertThat(row.ttaAuc()).isNull();
                assertThat(row.runsAuc()).isNull();
            }
        }
    }

    @Test
    void otherFederationsComeFromModelFilesOrStateFoldersOfTheSameModel() {
        TensorSet w = weights(7);
        Path file = dir.resolve("seed7.fedmil");
        ModelFile.write(file, SPEC, w, Map.of("model_version", "10"));
        StateStore otherState = new StateStore(dir.resolve("other"));
        try (MilModel like = MilModel.create(SPEC, 0)) {
            otherState.saveModel(GlobalModel.of(5, SPEC, w));
            otherState.saveRound(new RoundResult(5, 5, "sha", List.of(), 0, Double.NaN,
                    BinaryMetrics.of(new int[]{0, 1}, new float[]{0.2f, 0.8f}), 0.1));

            assertThat(EnsembleEvaluation.otherRun(file, SPEC, like)).isEqualTo(w);
            assertThat(EnsembleEvaluation.otherRun(dir.resolve("other"), SPEC, like)).isEqualTo(w);

            ModelSpec otherSpec = new ModelSpec(Architecture.MEAN, GREY4.dim(), 6, 3);
            assertThatThrownBy(() -> EnsembleEvaluation.otherRun(file, otherSpec, like))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one architecture");
            Path empty = dir.resolve("empty-state");
            new StateStore(empty);
            assertThatThrownBy(() -> EnsembleEvaluation.otherRun(empty, SPEC, like))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no completed round");
        }
    }
}
