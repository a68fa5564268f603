package org.fedmil.coordinator.round;

import java.util.List;

/** Tells every listener of every event, in list order. */
public record AllListeners(List<RoundListener> listeners) implements RoundListener {

    public AllListeners {
        listeners = List.copyOf(listeners);
    }

    public static RoundListener of(RoundListener... listeners) {
        return new AllListeners(List.of(listeners));
    }

    @Override
    public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
        listeners.forEach(l -> l.siteJoined(siteId, join, joinedSites, minSites));
    }

    @Override
    public void roundStarted(int round, int participants) {
        listeners.forEach(l -> l.roundStarted(round, participants));
    }

    @Override
    public void saveModel(GlobalModel model) {
        listeners.forEach(l -> l.saveModel(model));
    }

    @Override
    public void roundCompleted(RoundResult result, GlobalModel model) {
        listeners.forEach(l -> l.roundCompleted(result, model));
    }

    @Override
    public void secureAggregationFinished(SecureAggregationAudit audit) {
        listeners.forEach(l -> l.secureAggregationFinished(audit));
    }

    @Override
    public void dpFedSgdRound(DpFedSgdRound.Audit audit) {
        listeners.forEach(l -> l.dpFedSgdRound(audit));
    }

    @Override
    public void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
        listeners.forEach(l -> l.roundShort(round, attempt, updates, minUpdates, retried));
    }

    @Override
    public void updateAccepted(AcceptedUpdate update) {
        listeners.forEach(l -> l.updateAccepted(update));
    }

    @Override
    public void siteLeft(String siteId, String reason, int remainingSites) {
        listeners.forEach(l -> l.siteLeft(siteId, reason, remainingSites));
    }

    @Override
    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
        listeners.forEach(l -> l.updateRefused(siteId, round, kind, reason));
    }

    @Override
    public void stateChanged(RunState state) {
        listeners.forEach(l -> l.stateChanged(state));
    }

    @Override
    public void stateChangedByUpdate(RunState state) {
        listeners.forEach(l -> l.stateChangedByUpdate(state));
    }

    @Override
    public void siteEvaluated(String siteId, SiteEvaluation evaluation) {
        listeners.forEach(l -> l.siteEvaluated(siteId, evaluation));
    }

    @Override
    public void finalModelValidated(FederatedValidation validation) {
        listeners.forEach(l -> l.finalModelValidated(validation));
    }

    @Override
    public void finished(String reason) {
        listeners.forEach(l -> l.finished(reason));
    }
}
