package org.fedmil.coordinator.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fedmil.audit.LogHead;
import org.fedmil.audit.Receipt;
import org.fedmil.audit.SignedStatement;
import org.fedmil.coordinator.round.AcceptedUpdate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
public final class AuditTrail implements RoundListener, org.fedmil.coordinator.admin.AdminControl.Recorder {

    private static final Logger logger = LoggerFactory.getLogger(AuditTrail.class);

    /** The published head's file name, next to the round log. */
    public static final String HEAD_FILE = "round-log.head.json";

    private final RoundLog log;
    private final Path headFile;
    private String federationId = "";
    /** Receipts of the accepted updates of recent rounds, so a site that retries gets the same receipt. */
    private final Map<ReceiptKey, SignedStatement> receipts = new ConcurrentHashMap<>();
    private volatile SignedStatement head;
    /** For the model card: the last round's result (its AUC interval is not in the log) and the pinned encoder. */
    private volatile RoundResult lastRound;
    private String featureEncoder = "";
    /** The encoder block the federation fine-tunes, for the model card; empty when none. */
    private java.util.Optional<org.fedmil.mil.encoder.FineTunedBlock> encoderBlock = java.util.Optional.empty();
    /** The model the federation keeps, for the model card; none chosen unless {@link #keptModel} says how. */
    private volatile java.util.function.Supplier<ModelCards.Outcome> outcome = () -> ModelCards.Outcome.NONE;
    /**
     * The effective FedAvg weights of accepted updates by round, for the round's round_aggregated record: kept per
     * round because a round aggregated in the clear is recorded after the next round has opened and taken updates.
     */
    private final Map<Integer, Map<String, Long>> roundWeights = new java.util.TreeMap<>();
    private final Map<Integer, Long> roundWeightCaps = new java.util.TreeMap<>();

    public AuditTrail(RoundLog log) {
        this.log = log;
        this.headFile = log.file().resolveSibling(HEAD_FILE);
    }

    /**
     * How the model card learns which model the federation keeps: {@code kept} is validation's choice when the
     * federation finishes (empty: none, the last model is the result), by {@code criterion}; {@code rounds} are the
     * completed rounds with their AUC intervals.
     */
    public void keptModel(java.util.function.Supplier<Optional<org.fedmil.coordinator.round.FederatedValidation>> kept,
                          String criterion, java.util.function.Supplier<List<RoundResult>> rounds) {
        this.outcome = () -> new ModelCards.Outcome(kept.get(), criterion, rounds.get());
    }

    /** The receipt signed when this site's update of this round was accepted, if this coordinator accepted it. */
    public Optional<SignedStatement> receipt(String siteId, int round, String sha256Hex) {
        return Optional.ofNullable(receipts.get(key(siteId, round, sha256Hex)));
    }

    /** The latest head this coordinator signed and published, if any. */
    public Optional<SignedStatement> head() {
        return Optional.ofNullable(head);
    }

    private record ReceiptKey(String siteId, int round, String sha256Hex) {
    }

    private static ReceiptKey key(String siteId, int round, String sha256Hex) {
        return new ReceiptKey(siteId, round, sha256Hex);
    }

    /**
     * Signs the log's head and publishes it: written atomically next to the log, and handed to sites with their
     * tasks. Anyone holding a head can show a later copy of the log was cut short.
     */
    private void publishHead() {
        RoundLog.Entry at = log.head();
        SignedStatement signed = log.sign(new LogHead(federationId, at.seq(), at.sha256(), Instant.now().toString()));
        try {
            signed.write(headFile);
        } catch (IOException e) {
            // the log itself is intact; sites still receive the head with their tasks
            logger.warn("cannot write the round log head {}: {}", headFile, e.toString());
        }
        head = signed;
    }

    /** The first record of a new log, or the restart record of a log that already had records; FedAvg. */
    public void opened(FederationPlan plan, boolean resumed, int nextRound) {
        opened(plan, resumed, nextRound, new org.fedmil.coordinator.aggregate.FedAvg());
    }

    /**
     * A coordinator started on a federation that had finished: it changes nothing, so it records nothing (the log
     * ends with federation_finished, which the model card is anchored to).
     */
    public void openedFinished(FederationPlan plan) {
        federationId = plan.federationId();
        featureEncoder = plan.featureEncoderSha256();
        encoderBlock = plan.encoderBlock();
    }

    /** As {@link #opened(FederationPlan, boolean, int)}, recording the aggregation strategy and its parameters. */
    public void opened(FederationPlan plan, boolean resumed, int nextRound,
                       org.fedmil.coordinator.aggregate.Strategy strategy) {
        Map<String, Object> f = new LinkedHashMap<>();
        federationId = plan.federationId();
        featureEncoder = plan.featureEncoderSha256();
        encoderBlock = plan.encoderBlock();
        f.put("federation_id", plan.federationId());
        f.put("strategy", strategy.name());
        f.put("strategy_parameters", new LinkedHashMap<>(strategy.parameters()));
        plan.training().requiredDp().ifPresent(dp -> f.put("dp", dp.fedSgd() ? Map.of("mode", "dp_fedsgd",
                "clip_norm", dp.clipNorm(), "noise_multiplier", dp.noiseMultiplier(), "sampling_rate",
                dp.samplingRate(), "min_noised_sites", dp.minNoisedSites(), "delta", dp.delta())
                : Map.of("clip_norm", dp.clipNorm(), "noise_multiplier", dp.noiseMultiplier())));
        f.put("secure_aggregation", plan.secureAggregation());
        f.put("max_site_share", plan.rules().maxSiteShare());
        f.put("max_norm_to_median", plan.rules().maxNormToMedian());
        if (log.existed()) {
            f.put("resumed", resumed);
            f.put("next_round", nextRound);
            log.tornTail().ifPresent(t -> f.put("torn_tail_cut", t));
            log.append(RecordSchema.COORDINATOR_RESTARTED, f);
        } else {
            f.put("rounds", plan.rounds());
            if (plan.pretraining() != null) {
                // rounds 1..pretraining_rounds carry encoder-only deltas of self-supervised training
                f.put("pretraining_rounds", plan.pretrainingRounds());
            }
            f.put("min_sites", plan.minSites());
            f.put("model", String.valueOf(plan.model()));
            f.put("min_updates", plan.rules().minUpdates());
            f.put("max_update_l2_norm", plan.rules().maxUpdateL2Norm());
            log.append(RecordSchema.FEDERATION_CREATED, f);
        }
        publishHead();
    }

    @Override
    public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", siteId);
        f.put("joined_sites", joinedSites);
        f.put("min_sites", minSites);
        f.put("bags", join.totalBags());
        f.put("software_version", join.softwareVersion());
        f.put("site_cert", join.certificatePem());
        if (join.declaration() != null) {
            // the declaration in the site's own signature: what every later claim of the site is bounded by
            f.put("join_statement", join.declaration().statement());
            f.put("join_sig", join.declaration().sig());
        }
        log.append(RecordSchema.SITE_JOINED, f);
    }

    @Override
    public void siteLeft(String siteId, String reason, int remainingSites) {
        log.append(RecordSchema.SITE_LEFT, Map.of("site", siteId, "reason", reason, "remaining_sites",
                remainingSites));
    }

    /** An admin revoked a site; {@code certSha256} and {@code certSerial} are empty when it never called. */
    @Override
    public void siteRevoked(String site, String certSha256, String certSerial, String reason, String by) {
        log.append(RecordSchema.SITE_REVOKED, Map.of("site", site, "cert_sha256", certSha256, "cert_serial",
                certSerial, "reason", reason, "by", by));
    }

    @Override
    public void siteUnrevoked(String site, String reason, String by) {
        log.append(RecordSchema.SITE_UNREVOKED, Map.of("site", site, "reason", reason, "by", by));
    }

    @Override
    public void updateAccepted(AcceptedUpdate u) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", u.siteId());
        f.put("round", u.round());
        f.put("update_sha256", u.sha256Hex());
        f.put("training_bags", u.trainingBags());
        f.put("train_loss", u.trainLoss());
        // a securely aggregated round's upload is masked: its norm is not known to the coordinator, by design
        f.put("l2_norm", Double.isNaN(u.l2Norm()) ? "masked" : u.l2Norm());
        // the FedAvg weight the update was folded in with: its claim, within the site's declared bags, clamped to
        // the round's share cap
        f.put("weight", u.weight());
        if (u.weightCap() != Long.MAX_VALUE) {
            f.put("weight_cap", u.weightCap());
        }
        roundWeights.computeIfAbsent(u.round(), r -> new LinkedHashMap<>()).put(u.siteId(), u.weight());
        roundWeightCaps.put(u.round(), u.weightCap());
        f.put("site_statement", u.signed().statementJson());
        f.put("site_sig", u.signed().signature());
        u.signed().privacy().ifPresent(p -> f.put("privacy", p.fields()));
        u.signed().siteHeads().ifPresent(h -> {
            f.put("site_heads", h.statement());
            f.put("site_heads_sig", h.sig());
        });
        RoundLog.Entry at = log.appendRecord(RecordSchema.UPDATE_ACCEPTED, f);
        receipts.put(key(u.siteId(), u.round(), u.sha256Hex()), log.sign(new Receipt(federationId, u.siteId(),
                u.round(), u.sha256Hex(), Instant.now().toString(), at.seq(), at.sha256())));
    }

    @Override
    public void roundStarted(int round, int participants) {
        log.append(RecordSchema.ROUND_STARTED, Map.of("round", round, "participants", participants));
        // a round (re)starts with no update in; rounds older than the one before it are recorded or never will be
        roundWeights.keySet().removeIf(r -> r == round || r < round - 1);
        roundWeightCaps.keySet().removeIf(r -> r == round || r < round - 1);
        // a site asks again for its receipt only within the round it sent in
        receipts.keySet().removeIf(k -> k.round() < round - 1);
    }

    @Override
    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
        log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", siteId, "round", round, "code", kind.name(),
                "reason", reason));
    }

    @Override
    public void secureAggregationFinished(org.fedmil.coordinator.round.SecureAggregationAudit a) {
        List<Map<String, Object>> reveals = new java.util.ArrayList<>();
        for (org.fedmil.secagg.UnmaskReveal r : a.reveals()) {
            reveals.add(Map.of("site", r.site(), "self_mask_of", r.selfMaskOwners(), "masking_key_of",
                    r.maskingKeyOwners()));
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("round", a.round());
        f.put("invited", a.invited());
        f.put("threshold", a.threshold());
        f.put("colluders_tolerated", a.colludersTolerated());
        f.put("survivors", a.survivors());
        f.put("dropped", a.dropped());
        f.put("reveals", reveals);
        var g = a.graph();
        Map<String, Object> graph = new LinkedHashMap<>();
        graph.put("kind", g.complete() ? "complete" : "secagg+");
        graph.put("degree", g.degree());
        graph.put("roster", g.roster());
        graph.put("seed", g.seed());
        graph.put("digest", g.digest());
        f.put("graph", graph);
        List<Map<String, Object>> signatures = new java.util.ArrayList<>();
        for (org.fedmil.secagg.SurvivorSetSignature s : a.survivorSignatures()) {
            signatures.add(Map.of("site", s.site(), "sig", s.signature()));
        }
        f.put("survivor_signatures", signatures);
        log.append(RecordSchema.SECURE_AGGREGATION, f);
    }

    @Override
    public void dpFedSgdRound(org.fedmil.coordinator.round.DpFedSgdRound.Audit a) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("round", a.round());
        f.put("attempt", a.attempt());
        f.put("mode", "dp_fedsgd");
        f.put("released", a.released());
        f.put("shares", a.shares());
        f.put("min_noised_sites", a.minNoisedSites());
        f.put("noise_multiplier", a.noiseMultiplier());
        f.put("charged_noise_multiplier", a.chargedMultiplier());
        f.put("sampling_rate", a.samplingRate());
        f.put("clip_norm", a.clipNorm());
        f.put("training_bags", a.trainingBags());
        f.put("delta", a.delta());
        f.put("epsilon_round", a.epsilonRound());
        f.put("epsilon_through_round", a.epsilonThroughRound());
        if (a.refusal() != null) {
            f.put("reason", a.refusal());
        }
        log.append(RecordSchema.DP_FEDSGD_ROUND, f);
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
            publishHead();
            return;
        }
        lastRound = r;
        f.put("round", r.round());
        f.put("sites", List.copyOf(r.sites()));
        f.put("training_bags", r.trainingBags());
        f.put("train_loss", r.trainLoss());
        Map<String, Long> weights = new java.util.TreeMap<>();
        Map<String, Long> accepted = roundWeights.getOrDefault(r.round(), Map.of());
        long roundWeightCap = roundWeightCaps.getOrDefault(r.round(), Long.MAX_VALUE);
        roundWeights.remove(r.round());
        roundWeightCaps.remove(r.round());
        r.sites().forEach(site -> {
            Long w = accepted.get(site);
            if (w != null) {
                weights.put(site, w);
            }
        });
        if (!weights.isEmpty()) {
            f.put("effective_weights", weights);
            if (roundWeightCap != Long.MAX_VALUE) {
                f.put("weight_cap", roundWeightCap);
            }
        }
        log.append(RecordSchema.ROUND_AGGREGATED, f);
        publishHead();
    }

    @Override
    public void siteEvaluated(String siteId, SiteEvaluation e) {
        log.append(RecordSchema.MODEL_EVALUATED, Map.of("site", siteId, "model_version", e.modelVersion(),
                "metrics", metrics(e.metrics())));
    }

    @Override
    public void finished(String reason) {
        log.append(RecordSchema.FEDERATION_FINISHED, Map.of("reason", reason));
        publishHead();
        try {
            ModelCards.write(log, ModelCards.of(org.fedmil.audit.LogRecords.readAll(log.file()), log.head(),
                    federationId, lastRound, featureEncoder, reason, outcome.get(), encoderBlock));
        } catch (IOException | RuntimeException e) {
            // the log and its head are written; the card can be made again from them
            logger.warn("cannot write the model card beside {}: {}", log.file(), e.toString());
        }
    }

    private static Map<String, Object> metrics(BinaryMetrics m) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("n", m.n());
        f.put("auc", definedOrNull(m.auc()));
        f.put("accuracy", definedOrNull(m.accuracy()));
        f.put("sensitivity", definedOrNull(m.sensitivity()));
        f.put("specificity", definedOrNull(m.specificity()));
        f.put("loss", definedOrNull(m.loss()));
        return f;
    }

    /** An undefined metric (an AUC over one class) is JSON null; NaN is not JSON. */
    private static Double definedOrNull(double x) {
        return Double.isNaN(x) ? null : x;
    }
}
