package org.fedmil.coordinator.audit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RecordSchema;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.SiteEvaluation;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.eval.BinaryMetrics;

/**
 * Writes the federation's events to the coordinator's signed {@link RoundLog}: hashes, counts, norms and
 * aggregate metrics, never data. A record that cannot be written stops the action that caused it (the
 * exception propagates), so nothing happens that the log does not show.
 */
public final class AuditTrail implements RoundListener {

    private final RoundLog log;

    public AuditTrail(RoundLog log) {
        this.log = log;
    }

    /** The first record of a new log, or the restart record of a log that already had records. */
    public void opened(FederationPlan plan, boolean resumed, int nextRound) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", plan.federationId());
        if (log.existed()) {
            f.put("resumed", resumed);
            f.put("next_round", nextRound);
            log.tornTail().ifPresent(t -> f.put("torn_tail_cut", t));
            log.append(RecordSchema.COORDINATOR_RESTARTED, f);
        } else {
            f.put("rounds", plan.rounds());
            f.put("min_sites", plan.minSites());
            f.put("model", String.valueOf(plan.model()));
            f.put("min_updates", plan.rules().minUpdates());
            f.put("max_update_l2_norm", plan.rules().maxUpdateL2Norm());
            log.append(RecordSchema.FEDERATION_CREATED, f);
        }
    }

    @Override
    public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", siteId);
        f.put("joined_sites", joinedSites);
        f.put("min_sites", minSites);
        f.put("bags", join.totalBags());
        f.put("software_version", join.softwareVersion());
        log.append(RecordSchema.SITE_JOINED, f);
    }

    @Override
    public void roundStarted(int round, int participants) {
        log.append(RecordSchema.ROUND_STARTED, Map.of("round", round, "participants", participants));
    }

    @Override
    public void updateAccepted(String siteId, int round, String sha256Hex, long trainingBags, double trainLoss,
                               double l2Norm) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", siteId);
        f.put("round", round);
        f.put("update_sha256", sha256Hex);
        f.put("training_bags", trainingBags);
        f.put("train_loss", trainLoss);
        f.put("l2_norm", l2Norm);
        log.append(RecordSchema.UPDATE_ACCEPTED, f);
    }

    @Override
    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
        log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", siteId, "round", round, "code", kind.name(),
                "reason", reason));
    }

    @Override
    public void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
        log.append(RecordSchema.ROUND_SHORT, Map.of("round", round, "attempt", attempt, "updates", updates,
                "min_updates", minUpdates, "retried", retried));
    }

    @Override
    public void roundCompleted(RoundResult r, GlobalModel model) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model_version", r.modelVersion());
        f.put("model_sha256", r.modelSha256());
        f.put("heldout", metrics(r.heldout()));
        if (r.round() == 0) {
            log.append(RecordSchema.INITIAL_MODEL, f);
            return;
        }
        f.put("round", r.round());
        f.put("sites", List.copyOf(r.sites()));
        f.put("training_bags", r.trainingBags());
        f.put("train_loss", r.trainLoss());
        log.append(RecordSchema.ROUND_AGGREGATED, f);
    }

    @Override
    public void siteEvaluated(String siteId, SiteEvaluation e) {
        log.append(RecordSchema.MODEL_EVALUATED, Map.of("site", siteId, "model_version", e.modelVersion(),
                "metrics", metrics(e.metrics())));
    }

    @Override
    public void finished(String reason) {
        log.append(RecordSchema.FEDERATION_FINISHED, Map.of("reason", reason));
    }

    private static Map<String, Object> metrics(BinaryMetrics m) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("n", m.n());
        f.put("auc", m.auc());
        f.put("accuracy", m.accuracy());
        f.put("sensitivity", m.sensitivity());
        f.put("specificity", m.specificity());
        f.put("loss", m.loss());
        return f;
    }
}
