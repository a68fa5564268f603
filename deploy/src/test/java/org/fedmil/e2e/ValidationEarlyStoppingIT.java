package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.EarlyStoppingSection;
import org.fedmil.coordinator.round.EarlyStopping;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.ModelChoice;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real site agents with validation bags, real DJL, a coordinator over mutual TLS on loopback: each round carries the
 * sites' validation of the model they received, the coordinator stops once it stops improving and keeps the best,
 * and the held-out set, reported every round, decides nothing.
 */
class ValidationEarlyStoppingIT {

    private static final int BUDGET = 15;

    @Test
    void theFederationStopsOnValidationLossAndKeepsTheBestValidatedModel(@TempDir Path dir) throws Exception {
        // a learning rate high enough that the validation loss soon stops improving every round
        try (TestFederation fed = new TestFederation(dir, TestFederation.synthetic(dir, 2, 60, 60), 2, BUDGET,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.02, 0.0, 42L, null, null, null),
                c -> c.withEarlyStopping(new EarlyStoppingSection(true, 1, 2)))) {
            fed.validation = new SiteConfig.Validation(0.25, 3L);
            List<String> consoles = fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(null, null));

            FederationRun run = fed.coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            List<RoundResult> history = run.history();
            int last = history.get(history.size() - 1).round();
            System.out.printf("validation loss per round (of model r-1): %s; held-out loss: %s%n",
                    history.stream().map(r -> r.validation() == null ? "-" : String.format("%.4f",
                            r.validation().loss())).toList(),
                    history.stream().map(r -> String.format("%.4f", r.heldout().loss())).toList());
            assertThat(last).as("stopped before the budget").isLessThan(BUDGET);

            // every round after 0 has both sites' validation of the previous round's model: 15 bags of 60 each
            for (RoundResult r : history.subList(1, history.size())) {
                FederatedValidation v = r.validation();
                assertThat(v.sites()).isEqualTo(2);
                assertThat(v.bags()).isEqualTo(30);
                assertThat(v.modelRound()).isEqualTo(r.round() - 1);
                assertThat(v.modelVersion()).isEqualTo(history.get(r.round() - 1).modelVersion());
                assertThat(r.trainingBags()).as("validation bags never train").isEqualTo(90);
            }
            // the stop is the first round, from round 2 on, whose validated model was no new best
            int expectedStop = -1;
            for (int k = 2; k <= last && expectedStop < 0; k++) {
                if (ModelChoice.stopReason(new EarlyStopping(true, 1, 2), history.subList(0, k + 1)).isPresent()) {
                    expectedStop = k;
                }
            }
            assertThat(last).isEqualTo(expectedStop);

            // the final model, which no round follows, was validated by the sites' evaluation reports
            FederatedValidation finalModel = fed.coordinator.store().finalValidation().orElseThrow();
            assertThat(finalModel.modelRound()).isEqualTo(last);
            assertThat(finalModel.modelVersion()).isEqualTo(history.get(history.size() - 1).modelVersion());
            assertThat(finalModel.bags()).isEqualTo(30);
            FederatedValidation best = ModelChoice.best(history, Optional.of(finalModel)).orElseThrow();
            double lowest = Math.min(finalModel.loss(), history.stream().map(RoundResult::validation)
                    .filter(v -> v != null).mapToDouble(FederatedValidation::loss).min().orElseThrow());
            assertThat(best.loss()).isEqualTo(lowest);
            JsonNode selected = new ObjectMapper().readTree(dir.resolve("state/selected-model.json").toFile());
            assertThat(selected.path("model_version").asLong()).isEqualTo(best.modelVersion());
            assertThat(dir.resolve("state").resolve(selected.path("model_file").asText())).exists();
            assertThat(Files.readString(dir.resolve("state/metrics.json"))).contains("\"validation\"");
            assertThat(fed.console()).contains("stopped early after round " + last)
                    .contains("model kept: v" + best.modelVersion());

            // what left each site: the aggregates in the upload header, described in its egress log
            String egress = Files.readString(fed.stateDir("site-1").resolve("egress-log.jsonl"));
            assertThat(egress).contains("\"validation\"").contains("\"negative_bags\"").contains("\"positive_bags\"");
            assertThat(consoles.get(0)).contains("on this site's validation bags: val loss");
            Optional<RoundResult> byHeldOut = history.stream().skip(1)
                    .min(java.util.Comparator.comparingDouble(r -> r.heldout().loss()));
            System.out.printf("final model's validation loss %.4f; kept model of round %d (validation); the held-out "
                    + "loss was lowest for round %d%n", finalModel.loss(), best.modelRound(),
                    byHeldOut.orElseThrow().round());
        }
    }
}
