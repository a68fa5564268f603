package org.fedmil.coordinator.round;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.fedmil.coordinator.round.FederationRun.Phase;

/**
 * Every phase change a federation may make, as one table of (phase, event) → next phase. {@link FederationRun}
 * changes its phase only through {@link #next}, so a change not in this table is a bug that fails loudly instead of
 * a state nobody planned for; a finish in the finished phase is answered "no change", which is what makes a second
 * finish harmless.
 */
final class PhaseTable {

    /** What happened to the federation, as far as its phase is concerned. */
    enum Event {
        /** A round (or a retry of one) opened: train tasks are handed out. */
        ROUND_OPENED,
        /** Every update the open round waits for is in (or its deadline passed with enough): it is aggregated. */
        UPDATES_IN,
        /** The round due cannot open yet (the operator paused the federation): the federation waits. */
        HELD,
        /** The last round closed and the sites evaluate the final model on their own bags. */
        ROUNDS_DONE,
        /** The federation ends: all done, aborted by the operator, or failed. */
        FINISH
    }

    private static final Map<Phase, Map<Event, Phase>> TABLE = new EnumMap<>(Phase.class);

    static {
        row(Phase.WAITING_FOR_SITES, Event.ROUND_OPENED, Phase.TRAINING);
        row(Phase.WAITING_FOR_SITES, Event.HELD, Phase.WAITING_FOR_SITES);
        row(Phase.WAITING_FOR_SITES, Event.ROUNDS_DONE, Phase.SITE_EVALUATION);
        row(Phase.WAITING_FOR_SITES, Event.FINISH, Phase.FINISHED);
        // a short round is retried or skipped: the next round (or attempt) opens straight from training
        row(Phase.TRAINING, Event.ROUND_OPENED, Phase.TRAINING);
        row(Phase.TRAINING, Event.UPDATES_IN, Phase.AGGREGATING);
        row(Phase.TRAINING, Event.HELD, Phase.WAITING_FOR_SITES);
        row(Phase.TRAINING, Event.ROUNDS_DONE, Phase.SITE_EVALUATION);
        row(Phase.TRAINING, Event.FINISH, Phase.FINISHED);
        row(Phase.AGGREGATING, Event.ROUND_OPENED, Phase.TRAINING);
        row(Phase.AGGREGATING, Event.HELD, Phase.WAITING_FOR_SITES);
        row(Phase.AGGREGATING, Event.ROUNDS_DONE, Phase.SITE_EVALUATION);
        row(Phase.AGGREGATING, Event.FINISH, Phase.FINISHED);
        row(Phase.SITE_EVALUATION, Event.FINISH, Phase.FINISHED);
        row(Phase.FINISHED, Event.FINISH, Phase.FINISHED);
    }

    private PhaseTable() {
    }

    private static void row(Phase from, Event event, Phase to) {
        TABLE.computeIfAbsent(from, p -> new EnumMap<>(Event.class)).put(event, to);
    }

    /** The phase {@code event} leads to from {@code from}, or empty when the table has no such change. */
    static Optional<Phase> lookup(Phase from, Event event) {
        return Optional.ofNullable(TABLE.getOrDefault(from, Map.of()).get(event));
    }

    /**
     * The phase {@code event} leads to from {@code from}.
     *
     * @throws IllegalStateException when the table has no such change: the caller broke the round rules
     */
    static Phase next(Phase from, Event event) {
        return lookup(from, event).orElseThrow(() -> new IllegalStateException("no phase change for event "
                + event + " in phase " + from + "; the round logic asked for a change its phase table forbids"));
    }
}
