package org.fedmil.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.PretrainingPlan;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted coordinator compares its pretraining rounds with those federation.json was written with. */
class SavedPretrainingRoundsTest {

    private static final ModelSpec TILES = ModelSpec.cnn(Architecture.ATTENTION, 1, 4, 2, 2);
    private static final FederationPlan.TrainingPlan TRAINING =
            new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT);

    @Test
    void readsThePretrainingRoundsOfTheSavedPlanAndZeroWithoutPretrainingOrPlan(@TempDir Path dir)
            throws Exception {
        StateStore store = new StateStore(dir.resolve("with"));
        store.saveFederation(new FederationPlan("f", 2, 5, TILES, TRAINING, true, RoundRules.waitForAll(2),
                new PretrainingPlan(3, 1, 1e-3, 0, 16, 0.5, 8, 0.2, 1, 0)));
        assertThat(store.savedPretrainingRounds()).isEqualTo(3);
        assertThat(Files.readString(dir.resolve("with/federation.json"))).contains("\"pretraining\"");

        StateStore without = new StateStore(dir.resolve("without"));
        without.saveFederation(new FederationPlan("f", 2, 5, TILES, TRAINING, true, RoundRules.waitForAll(2)));
        assertThat(without.savedPretrainingRounds()).isZero();

        assertThat(new StateStore(dir.resolve("new")).savedPretrainingRounds()).isZero();
    }
}
