package org.fedmil.coordinator.round;

/**
 * Told of what the federation does. Every callback but {@link #saveModel} comes from the run's one event thread, in
 * the order things happened, and before the site whose call caused it hears the outcome; a callback that calls back into the run is
 * answered at once on that thread, but one that waits for another thread that calls the run would wait forever.
 */
public interface RoundListener {

    default void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
    }

    default void roundStarted(int round, int participants) {
    }

    /**
     * A new global model was made: make it durable (temporary file, fsync, rename) before returning. The one callback
     * not on the event thread: it runs on a writer thread of its own (for round 0 on the caller of
     * {@link FederationRun#start}), before {@link #roundCompleted} of its round and, for a round aggregated in the
     * clear, while the next round already runs and sites download this model. A throw stops the federation.
     */
    default void saveModel(GlobalModel model) {
    }

    /**
     * A new global model exists, is evaluated and was saved ({@link #saveModel}): the round's record. Round 0 is the
     * initial model. For a round aggregated in the clear the next round has opened already.
     */
    default void roundCompleted(RoundResult result, GlobalModel model) {
    }

    /**
     * A round reached its deadline with fewer than min_updates updates; it is run again ({@code retried}) or
     * skipped. Nothing of it was aggregated.
     */
    /** A secure round was unmasked: who survived, who dropped, what each site revealed (before roundCompleted). */
    default void secureAggregationFinished(SecureAggregationAudit audit) {
    }

    /** A DP-FedSGD round's sum was released (before its round completes) or refused (before its round_short). */
    default void dpFedSgdRound(DpFedSgdRound.Audit audit) {
    }

    default void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
    }

    /** An update was accepted into the open round's aggregate (a retry of an accepted update is not told again). */
    default void updateAccepted(AcceptedUpdate update) {
    }

    /** A joined site left, saying why; {@code remainingSites} are still joined. */
    default void siteLeft(String siteId, String reason, int remainingSites) {
    }

    /** An upload was refused; nothing of it reached the aggregate. Called before the site hears the refusal. */
    default void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
    }

    /** The state a restart needs changed; persist it before returning. */
    default void stateChanged(RunState state) {
    }

    /**
     * The state changed by one more accepted update of the open round, and nothing else: a restart does not need
     * it (the open round runs again and its sites send again), so it may be persisted later, without making the
     * site's upload wait. The round's last update, which ends the training phase, comes as {@link #stateChanged}.
     */
    default void stateChangedByUpdate(RunState state) {
        stateChanged(state);
    }

    default void siteEvaluated(String siteId, SiteEvaluation evaluation) {
    }

    /**
     * The sites' evaluation reports validated the final model (no round follows it to carry its validation); told
     * once, before {@link #finished}, when at least one site reported a validation.
     */
    default void finalModelValidated(FederatedValidation validation) {
    }

    default void finished(String reason) {
    }
}
