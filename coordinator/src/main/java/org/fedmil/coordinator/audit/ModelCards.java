package org.fedmil.coordinator.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.ModelCard;
import org.fedmil.audit.RecordSchema;
import org.fedmil.audit.RoundLog;
import org.fedmil.audit.SignedStatement;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.util.AtomicFiles;

/**
 * Builds the model card of a finished federation from its round log (so a card after a coordinator restart still
 * covers every round, and an auditor can check each line of it against the log), adds the final round's AUC interval,
 * and writes it signed ({@value ModelCard#FILE}) and readable ({@value ModelCard#MARKDOWN}) beside the log.
 */
final class ModelCards {

    private ModelCards() {
    }

    /**
     * @param last        the final round's result as the coordinator saw it (for the AUC interval), or null
     * @param encoder     the pinned pretrained encoder's SHA-256, or ""
     */
    static ModelCard of(LogRecords records, RoundLog.Entry head, String federationId, RoundResult last, String encoder,
                        String reason) {
        Map<String, Object> f = ModelCard.newFields();
        f.put("federation_id", federationId);
        Map<String, Map<String, Object>> sites = new LinkedHashMap<>();
        LogRecords.Line finalRound = null;
        int rounds = 0;
        for (LogRecords.Line line : records.lines()) {
            switch (line.type()) {
                case RecordSchema.FEDERATION_CREATED -> {
                    f.put("model", line.text("model"));
                    f.put("strategy", line.text("strategy"));
                    f.put("rounds_planned", line.number("rounds"));
                    if (line.map("dp") != null) {
                        f.put("dp", line.map("dp"));
                    }
                    f.put("secure_aggregation", line.fields().get("secure_aggregation"));
                }
                case RecordSchema.SITE_JOINED -> sites.computeIfAbsent(line.text("site"), s -> new LinkedHashMap<>(
                        Map.of("site", s))).put("bags", line.number("bags"));
                case RecordSchema.UPDATE_ACCEPTED -> {
                    Map<String, Object> p = line.map("privacy");
                    if (p != null && p.get("epsilon_spent") instanceof Number eps) {
                        sites.computeIfAbsent(line.text("site"), s -> new LinkedHashMap<>(Map.of("site", s)))
                                .put("epsilon", eps.doubleValue());
                    }
                }
                case RecordSchema.ROUND_AGGREGATED -> {
                    rounds++;
                    finalRound = line;
                }
                default -> { }
            }
        }
        f.put("feature_encoder_sha256", encoder);
        f.put("rounds_completed", rounds);
        if (finalRound != null) {
            f.put("final_model_version", finalRound.number("model_version"));
            f.put("final_model_sha256", finalRound.text("model_sha256"));
            Map<String, Object> heldout = new LinkedHashMap<>(finalRound.map("heldout"));
            AucInterval ci = last != null && last.modelVersion() == finalRound.number("model_version")
                    ? last.heldoutAucCi() : null;
            if (ci != null) {
                heldout.put("auc_95ci_low", ci.lower());
                heldout.put("auc_95ci_high", ci.upper());
            }
            f.put("heldout", heldout);
        }
        f.put("sites", new ArrayList<>(sites.values()));
        f.put("finished_because", reason);
        f.put("intended_use", ModelCard.INTENDED_USE);
        f.put("limits", ModelCard.LIMITS);
        f.put("log_records", head.seq());
        f.put("log_last_sha256", head.sha256());
        f.put("time", Instant.now().toString());
        return new ModelCard(f);
    }

    /** Signs the card with the log's key and writes both files atomically. */
    static void write(RoundLog log, ModelCard card) throws IOException {
        Path dir = log.file().toAbsolutePath().getParent();
        SignedStatement signed = log.sign(card);
        signed.write(dir.resolve(ModelCard.FILE));
        byte[] md = card.markdown().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(ModelCard.MARKDOWN), o -> o.write(md));
    }
}
