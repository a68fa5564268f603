package org.fedmil.coordinator.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.ModelCard;
import org.fedmil.audit.RecordSchema;
import org.fedmil.audit.RoundLog;
import org.fedmil.audit.SignedStatement;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.util.AtomicFiles;

/**
 * Builds the model card of a finished federation from its round log (so a card after a coordinator restart still
 * covers every round, and an auditor can check each line of it against the log), names the model the federation
 * keeps (validation's choice, else the last) and, when it is another, the last one, adds their AUC intervals,
 * and writes it signed ({@value ModelCard#FILE}) and readable ({@value ModelCard#MARKDOWN}) beside the log.
 */
final class ModelCards {

    private ModelCards() {
    }

    /**
     * The model the federation keeps, as the coordinator chose it outside the log: the validated model with the
     * lowest federated validation loss, or none when no site reported validation (the last model is then the
     * result). {@code rounds} are the completed rounds as metrics.json holds them (for the AUC intervals).
     */
    record Outcome(Optional<FederatedValidation> kept, String criterion, List<RoundResult> rounds) {

        static final Outcome NONE = new Outcome(Optional.empty(), "", List.of());
    }

    /**
     * @param last        the final round's result as the coordinator saw it (for the AUC interval), or null
     * @param encoder     the pinned pretrained encoder's SHA-256, or ""
     */
    static ModelCard of(LogRecords records, RoundLog.Entry head, String federationId, RoundResult last, String encoder,
                        String reason) {
        return of(records, head, federationId, last, encoder, reason, Outcome.NONE, Optional.empty());
    }

    /** As above, naming the model the federation keeps ({@code outcome}) and, if it is another, the last one. */
    static ModelCard of(LogRecords records, RoundLog.Entry head, String federationId, RoundResult last, String encoder,
                        String reason, Outcome outcome) {
        return of(records, head, federationId, last, encoder, reason, outcome, Optional.empty());
    }

    /**
     * As above, stating that the encoder's {@code block} was fine-tuned with the head (which block, the base
     * encoder's hash): such a model runs only through that encoder file.
     */
    static ModelCard of(LogRecords records, RoundLog.Entry head, String federationId, RoundResult last, String encoder,
                        String reason, Outcome outcome, Optional<FineTunedBlock> block) {
        Map<String, Object> f = ModelCard.newFields();
        f.put("federation_id", federationId);
        Map<String, Map<String, Object>> sites = new LinkedHashMap<>();
        // every model the log names with its held-out metrics: the initial one and each round's
        Map<Long, LogRecords.Line> models = new LinkedHashMap<>();
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
                case RecordSchema.INITIAL_MODEL -> models.put(line.number("model_version"), line);
                case RecordSchema.ROUND_AGGREGATED -> {
                    rounds++;
                    finalRound = line;
                    models.put(line.number("model_version"), line);
                }
                default -> { }
            }
        }
        f.put("feature_encoder_sha256", encoder);
        block.ifPresent(b -> f.put(ModelCard.ENCODER_FINE_TUNED, "block '" + b.trainablePrefix() + "' of the base "
                + "encoder with SHA-256 " + b.encoderSha256() + " trained with the head in every round (tiles "
                + b.tiles() + ", " + b.normalisation().configName() + " normalisation); the model's "
                + "encoder.backbone.* tensors replace that block's weights, so it runs only through that encoder file"));
        f.put("rounds_completed", rounds);
        LogRecords.Line keptLine = outcome.kept().map(v -> models.get(v.modelVersion())).orElse(null);
        if (keptLine != null) {
            FederatedValidation v = outcome.kept().get();
            putModel(f, "", keptLine, v.modelRound(), results(outcome, last));
            f.put("chosen_by", "the lowest federated " + outcome.criterion().replace('_', ' ') + " on the sites' "
                    + "validation bags (never the held-out set); selected-model.json");
            Map<String, Object> validation = new LinkedHashMap<>();
            validation.put("loss", v.loss());
            validation.put("auc", v.auc());
            validation.put("sites", v.sites());
            validation.put("bags", v.bags());
            f.put("validation", validation);
        } else if (finalRound != null) {
            putModel(f, "", finalRound, finalRound.number("round").intValue(), results(outcome, last));
            f.put("chosen_by", "the last model (no site reported validation, so none was selected)");
        }
        if (finalRound != null && keptLine != null && finalRound != keptLine) {
            putModel(f, "last_", finalRound, finalRound.number("round").intValue(), results(outcome, last));
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

    /** The rounds whose AUC interval may be added: metrics.json's, or the final round this process saw. */
    private static List<RoundResult> results(Outcome outcome, RoundResult last) {
        List<RoundResult> out = new ArrayList<>(outcome.rounds());
        if (last != null) {
            out.add(last);
        }
        return out;
    }

    /** Version, round, hash and held-out metrics (with the AUC interval when known) of one logged model. */
    private static void putModel(Map<String, Object> f, String prefix, LogRecords.Line line, int round,
                                 List<RoundResult> results) {
        long version = line.number("model_version");
        f.put(prefix + "model_version", version);
        f.put(prefix + "model_round", round);
        f.put(prefix + "model_sha256", line.text("model_sha256"));
        Map<String, Object> heldout = new LinkedHashMap<>(line.map("heldout"));
        results.stream().filter(r -> r.modelVersion() == version && r.heldoutAucCi() != null).findFirst()
                .map(RoundResult::heldoutAucCi).ifPresent(ci -> {
                    heldout.put("auc_95ci_low", ci.lower());
                    heldout.put("auc_95ci_high", ci.upper());
                });
        f.put(prefix + "heldout", heldout);
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
