package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.eval.LearningWarning;
import org.fedmil.mil.eval.LearningWarning.Kind;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A federation over real mutual TLS with real DJL training whose sites' labels are random: the coordinator's round
 * table and metrics.json say the model learned nothing. (FederatedTrainingEndToEndIT, with the true labels, pins
 * that a learning federation raises no such warning.)
 */
class LearnedNothingFederationIT {

    static final List<Kind> LEARNED_NOTHING = List.of(Kind.NEAR_CONSTANT_SCORES, Kind.CHANCE_LEVEL_AUC,
            Kind.LOSS_AT_CONSTANT_PREDICTOR);

    @Test
    void sitesWithRandomLabelsGetTheLearnedNothingWarningInTheRoundTableAndMetricsJson(@TempDir Path dir)
            throws Exception {
        Path data = TestFederation.synthetic(dir, 2, 60, 100);
        RandomLabels.relabel(data.resolve("site-1"), 1);
        RandomLabels.relabel(data.resolve("site-2"), 2);
        // 3 rounds × 2 local epochs: the last round's model is judged (5 or more epochs)
        try (TestFederation fed = new TestFederation(dir, data, 2, 3,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, 42L, null, null, null))) {
            fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false, false));

            List<RoundResult> history = fed.coordinator.run().history();
            RoundResult last = history.get(3);
            System.out.println(fed.console());

            assertThat(last.warnings()).extracting(LearningWarning::kind).containsAnyElementsOf(LEARNED_NOTHING);
            assertThat(fed.console()).containsPattern("(?m)^  warning (near_constant_scores|chance_level_auc|"
                    + "loss_at_constant_predictor): ");
            String metrics = Files.readString(dir.resolve("state/metrics.json"));
            assertThat(StateStore.JSON.readTree(metrics).get(3).path("warnings").findValuesAsText("kind"))
                    .containsAnyElementsOf(LEARNED_NOTHING.stream().map(Kind::code).toList());
            assertThat(new StateStore(dir.resolve("state")).rounds().get(3).warnings()).isEqualTo(last.warnings());
        }
    }
}
