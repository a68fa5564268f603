package org.fedmil.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a federation's resulting model is and where it came from, as the coordinator signs it when the federation
 * finishes: the model kept (validation's choice, else the last one; the last one too when it is another), the
 * pretrained encoder it depends on, rounds, strategy, each site's bag count and (under DP) its ε, the held-out
 * metrics with their 95 % interval, and the round log's head at the end, which anchors the
 * card to the history it summarises ({@code fedmil audit verify LOG --head model-card.json} checks that the log
 * still holds that record). Everything in it except the AUC interval is also in the round log.
 *
 * @param fields the card's content, without {@code kind}
 */
public record ModelCard(Map<String, Object> fields) implements Statement {

    public static final String KIND = "fedmil.model_card.v1";
    public static final String FILE = "model-card.json";
    public static final String MARKDOWN = "model-card.md";
    /** The field that states which block of which base encoder was fine-tuned with the head; absent when none. */
    public static final String ENCODER_FINE_TUNED = "encoder_fine_tuned";

    public static final String INTENDED_USE = "Research and validation within the consortium on data like the sites' "
            + "(same stain, scanner, tiling, encoder and label definition). Not a medical device: not for diagnosis "
            + "without a clinical validation of its own.";
    public static final String LIMITS = "Metrics are on the coordinator's held-out set only; performance on other "
            + "hospitals, scanners or populations is unknown. The decision threshold must be chosen on labelled "
            + "validation data at each site (fedmil predict), not taken as 0.5. Attention weights show where the "
            + "model looked, not why.";

    @Override
    public String kind() {
        return KIND;
    }

    /** The log record the card was signed at: how many records the log held, and the last one's hash. */
    public static ModelCard parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        return new ModelCard(m);
    }

    public String federationId() {
        return Statement.text(fields, "federation_id");
    }

    public long logRecords() {
        return Statement.number(fields, "log_records");
    }

    public String logLastSha256() {
        return Statement.text(fields, "log_last_sha256");
    }

    /** The card as people read it. */
    @SuppressWarnings("unchecked")
    public String markdown() {
        StringBuilder b = new StringBuilder("# Model card: federation '").append(federationId()).append("'\n\n");
        b.append("Signed by the coordinator (`").append(FILE).append("` holds the signed statement; check it with "
                + "`fedmil audit verify round-log.jsonl --ca ca.pem --head ").append(FILE).append("`).\n\n");
        b.append("| | |\n|---|---|\n");
        for (String k : List.of("model", "feature_encoder_sha256", ENCODER_FINE_TUNED, "strategy", "rounds_completed", "model_version",
                "model_round", "model_sha256", "chosen_by", "last_model_version", "last_model_round",
                "last_model_sha256", "final_model_version", "final_model_sha256", "dp", "secure_aggregation",
                "finished_because", "log_records", "log_last_sha256", "time")) {
            Object v = fields.get(k);
            if (v != null && !"".equals(v)) {
                b.append("| ").append(k.replace('_', ' ')).append(" | ").append(v).append(" |\n");
            }
        }
        if (fields.get("validation") instanceof Map<?, ?> v) {
            metricTable(b, "Federated validation of the model kept (sites' validation bags)", (Map<String, Object>) v);
        }
        if (fields.get("heldout") instanceof Map<?, ?> h) {
            metricTable(b, fields.containsKey("model_version") ? "Held-out metrics of the model kept (v"
                    + fields.get("model_version") + ")" : "Held-out metrics of the final model", (Map<String, Object>) h);
        }
        if (fields.get("last_heldout") instanceof Map<?, ?> h) {
            metricTable(b, "Held-out metrics of the last model (v" + fields.get("last_model_version") + ", not kept)",
                    (Map<String, Object>) h);
        }
        b.append("\n## Sites (counts only)\n\n| site | bags | ε spent (DP) |\n|---|---|---|\n");
        for (Object s : (List<Object>) fields.getOrDefault("sites", new ArrayList<>())) {
            Map<String, Object> site = (Map<String, Object>) s;
            Object eps = site.get("epsilon");
            b.append("| ").append(site.get("site")).append(" | ").append(site.get("bags")).append(" | ")
                    .append(eps == null ? "–" : String.format(Locale.ROOT, "%.3f", ((Number) eps).doubleValue()))
                    .append(" |\n");
        }
        b.append("\n## Intended use\n\n").append(fields.get("intended_use")).append("\n\n## Limits\n\n")
                .append(fields.get("limits")).append('\n');
        return b.toString();
    }

    private static void metricTable(StringBuilder b, String title, Map<String, Object> metrics) {
        b.append("\n## ").append(title).append("\n\n| metric | value |\n|---|---|\n");
        metrics.forEach((k, v) -> b.append("| ").append(k.replace('_', ' ')).append(" | ")
                .append(v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : v).append(" |\n"));
    }

    /** An ordered map for building a card's fields. */
    public static Map<String, Object> newFields() {
        return new LinkedHashMap<>();
    }
}
