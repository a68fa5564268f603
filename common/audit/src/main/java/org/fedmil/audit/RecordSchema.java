package org.fedmil.audit;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The record types of the coordinator round log and the fields each must carry besides the envelope
 * ({@code seq, time, type, prev, sig}). Records name hashes, counts, norms and metrics, never data.
 */
public final class RecordSchema implements LogSchema {

    /** The coordinator's round log. */
    public static final RecordSchema ROUND_LOG = new RecordSchema();


    public static final String FEDERATION_CREATED = "federation_created";
    /** A coordinator restarted on an existing log; carries the (possibly renewed) certificate it signs with. */
    public static final String COORDINATOR_RESTARTED = "coordinator_restarted";
    public static final String SITE_JOINED = "site_joined";
    public static final String ROUND_STARTED = "round_started";
    public static final String UPDATE_ACCEPTED = "update_accepted";
    public static final String UPDATE_REFUSED = "update_refused";
    public static final String ROUND_SHORT = "round_short";
    /**
     * A secure round was unmasked: roster size, threshold, survivors, dropped, what each site revealed, and each
     * signer's signature over the survivor set (the consistency round).
     */
    public static final String SECURE_AGGREGATION = "secure_aggregation";
    /**
     * A DP-FedSGD round (docs/privacy.md): its sum released (before round_aggregated) or refused for fewer than
     * K_min shares (before round_short, with the reason), with σ, the charged z′, q, C, K_min and the round's ε.
     */
    public static final String DP_FEDSGD_ROUND = "dp_fedsgd_round";
    /** Round 0: the initial global model, evaluated on the held-out set. */
    public static final String INITIAL_MODEL = "initial_model";
    public static final String ROUND_AGGREGATED = "round_aggregated";
    /** A site evaluated the final model on its own bags. */
    public static final String MODEL_EVALUATED = "model_evaluated";
    public static final String FEDERATION_FINISHED = "federation_finished";
    /** A site said it leaves (its policy stopped it, its operator stopped it), with its reason. */
    public static final String SITE_LEFT = "site_left";
    /** An admin revoked a site: its certificates are refused from then on. */
    public static final String SITE_REVOKED = "site_revoked";
    /** An admin admitted a revoked site again. */
    public static final String SITE_UNREVOKED = "site_unrevoked";

    /** The envelope fields every record has; event fields may not use these names. */
    public static final Set<String> ENVELOPE = Set.of("seq", "time", "type", "prev", "sig");

    /** The field holding a PEM certificate; required in the records that introduce a signing key. */
    public static final String CERT = "cert";

    private static final Map<String, List<String>> REQUIRED = Map.ofEntries(
            Map.entry(FEDERATION_CREATED, List.of("federation_id", "rounds", "min_sites", CERT)),
            Map.entry(COORDINATOR_RESTARTED, List.of("federation_id", CERT)),
            Map.entry(SITE_JOINED, List.of("site", "joined_sites", "min_sites", "bags", "site_cert")),
            Map.entry(SITE_LEFT, List.of("site", "reason")),
            Map.entry(SITE_REVOKED, List.of("site", "cert_sha256", "cert_serial", "reason", "by")),
            Map.entry(SITE_UNREVOKED, List.of("site", "reason", "by")),
            Map.entry(ROUND_STARTED, List.of("round", "participants")),
            Map.entry(UPDATE_ACCEPTED, List.of("site", "round", "update_sha256", "training_bags", "l2_norm",
                    "site_statement", "site_sig")),
            Map.entry(UPDATE_REFUSED, List.of("site", "round", "code", "reason")),
            Map.entry(ROUND_SHORT, List.of("round", "attempt", "updates", "min_updates", "retried")),
            Map.entry(SECURE_AGGREGATION, List.of("round", "threshold", "colluders_tolerated", "survivors",
                    "dropped", "reveals", "survivor_signatures")),
            Map.entry(DP_FEDSGD_ROUND, List.of("round", "released", "shares", "min_noised_sites",
                    "noise_multiplier", "charged_noise_multiplier", "sampling_rate", "clip_norm", "training_bags",
                    "delta", "epsilon_round", "epsilon_through_round")),
            Map.entry(INITIAL_MODEL, List.of("model_version", "model_sha256", "heldout")),
            Map.entry(ROUND_AGGREGATED, List.of("round", "model_version", "model_sha256", "sites", "training_bags",
                    "heldout")),
            Map.entry(MODEL_EVALUATED, List.of("site", "model_version", "metrics")),
            Map.entry(FEDERATION_FINISHED, List.of("reason")));

    private RecordSchema() {
    }

    public static Set<String> types() {
        return REQUIRED.keySet();
    }

    @Override
    public String name() {
        return "round log";
    }

    @Override
    public String firstType() {
        return FEDERATION_CREATED;
    }

    @Override
    public List<String> required(String type) {
        return REQUIRED.get(type);
    }

    @Override
    public boolean introducesKey(String type) {
        return FEDERATION_CREATED.equals(type) || COORDINATOR_RESTARTED.equals(type);
    }

    @Override
    public String signerKeyUsage() {
        return "1.3.6.1.5.5.7.3.1";
    }

    @Override
    public String signer() {
        return "coordinator";
    }
}
