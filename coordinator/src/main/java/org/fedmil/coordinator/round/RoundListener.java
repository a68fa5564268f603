package org.fedmil.coordinator.round;

/** Told of what the federation does, in order, from the thread that closes rounds. */
public interface RoundListener {

    default void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
    }

    default void roundStarted(int round, int participants) {
    }

    /** A new global model exists, is evaluated and was saved. Round 0 is the initial model. */
    default void roundCompleted(RoundResult result, GlobalModel model) {
    }

    default void siteEvaluated(String siteId, SiteEvaluation evaluation) {
    }

    default void finished(String reason) {
    }
}
