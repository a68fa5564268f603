package org.fedmil.coordinator.round;

import java.util.List;
import java.util.Map;

/**
 * What a coordinator needs to go on after a crash, beyond the global models and metrics.json: written to the
 * state folder (state.json) at every transition. {@code seq} orders the snapshots, so that an older one written late
 * (in the background, see {@link RoundListener#stateChangedByUpdate}) never overwrites a newer one.
 *
 * @param round            the open (or last) round; 0 before round 1
 * @param attempt          1 for a round's first run, 2+ when it is retried after a short round
 * @param modelVersion     the global model the open round trains from
 * @param completedRounds  rounds aggregated into a model, in order (metrics.json holds their results)
 * @param skippedRounds    rounds that reached their deadline short of min_updates under on_short_round: skip
 * @param submitted        accepted updates of the open round: site → delta SHA-256 (hex), for operators; not read
 *                         back. After a crash these are re-requested, since the aggregate they went into was in
 *                         memory; a snapshot whose only change is one more of them is written in the background
 *                         ({@link RoundListener#stateChangedByUpdate}), so state.json may lag by a few updates
 * @param finishReason     why the federation finished (all rounds done, aborted by whom and why), null while it
 *                         runs; read back on restart, so that a finished federation stays finished
 * @param joinedSites      sites joined at this snapshot; read back on restart, so that their calls before they
 *                         join the new coordinator again are told to re-join rather than counted as refusals
 * @param knownSites       every site that has joined this federation, departed or not; read back on restart
 */
public record RunState(long seq, String federationId, FederationRun.Phase phase, int round, int attempt,
                       long modelVersion, List<Integer> completedRounds, List<Integer> skippedRounds,
                       List<String> participants, Map<String, String> submitted, String finishReason,
                       List<String> joinedSites, List<String> knownSites) {

    public RunState {
        completedRounds = List.copyOf(completedRounds);
        skippedRounds = List.copyOf(skippedRounds);
        participants = List.copyOf(participants);
        submitted = Map.copyOf(submitted);
        joinedSites = List.copyOf(joinedSites);
        knownSites = List.copyOf(knownSites);
    }

    /** A running federation's state, without sites. */
    public RunState(long seq, String federationId, FederationRun.Phase phase, int round, int attempt,
                    long modelVersion, List<Integer> completedRounds, List<Integer> skippedRounds,
                    List<String> participants, Map<String, String> submitted) {
        this(seq, federationId, phase, round, attempt, modelVersion, completedRounds, skippedRounds, participants,
                submitted, null, List.of(), List.of());
    }
}
