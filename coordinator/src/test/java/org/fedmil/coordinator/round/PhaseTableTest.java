package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.coordinator.round.PhaseTable.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every (phase, event) pair of the round state machine: where it leads, or that it is refused. */
class PhaseTableTest {

    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @CsvSource({
        "WAITING_FOR_SITES, ROUND_OPENED, TRAINING",
        "WAITING_FOR_SITES, UPDATES_IN,   -",
        "WAITING_FOR_SITES, HELD,         WAITING_FOR_SITES",
        "WAITING_FOR_SITES, ROUNDS_DONE,  SITE_EVALUATION",
        "WAITING_FOR_SITES, FINISH,       FINISHED",
        "TRAINING,          ROUND_OPENED, TRAINING",
        "TRAINING,          UPDATES_IN,   AGGREGATING",
        "TRAINING,          HELD,         WAITING_FOR_SITES",
        "TRAINING,          ROUNDS_DONE,  SITE_EVALUATION",
        "TRAINING,          FINISH,       FINISHED",
        "AGGREGATING,       ROUND_OPENED, TRAINING",
        "AGGREGATING,       UPDATES_IN,   -",
        "AGGREGATING,       HELD,         WAITING_FOR_SITES",
        "AGGREGATING,       ROUNDS_DONE,  SITE_EVALUATION",
        "AGGREGATING,       FINISH,       FINISHED",
        "SITE_EVALUATION,   ROUND_OPENED, -",
        "SITE_EVALUATION,   UPDATES_IN,   -",
        "SITE_EVALUATION,   HELD,         -",
        "SITE_EVALUATION,   ROUNDS_DONE,  -",
        "SITE_EVALUATION,   FINISH,       FINISHED",
        "FINISHED,          ROUND_OPENED, -",
        "FINISHED,          UPDATES_IN,   -",
        "FINISHED,          HELD,         -",
        "FINISHED,          ROUNDS_DONE,  -",
        "FINISHED,          FINISH,       FINISHED",
    })
    void eachEventInEachPhaseLeadsWhereTheTableSaysOrIsRefused(Phase from, Event event, String to) {
        if (to.equals("-")) {
            assertThat(PhaseTable.lookup(from, event)).isEmpty();
            assertThatThrownBy(() -> PhaseTable.next(from, event)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(event.name()).hasMessageContaining(from.name());
        } else {
            assertThat(PhaseTable.next(from, event)).isEqualTo(Phase.valueOf(to));
        }
    }

    @Test
    void theCasesAboveNameEveryPairOfPhaseAndEvent() {
        // a new phase or event fails here until the 25 cases above are extended to name it
        assertThat(Phase.values().length * Event.values().length).isEqualTo(25);
    }

    @Test
    void nothingLeavesTheFinishedPhase() {
        for (Event e : Event.values()) {
            assertThat(PhaseTable.lookup(Phase.FINISHED, e)).satisfiesAnyOf(
                    next -> assertThat(next).isEmpty(), next -> assertThat(next).contains(Phase.FINISHED));
        }
    }

    @Test
    void everyPhaseCanFinish() {
        for (Phase p : Phase.values()) {
            assertThat(PhaseTable.next(p, Event.FINISH)).isEqualTo(Phase.FINISHED);
        }
    }
}
