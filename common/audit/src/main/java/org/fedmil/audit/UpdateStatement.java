package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.fedmil.tensor.DeltaEncoding;

/**
 * What a site signs when it sends a weight delta, with its certificate's key: which federation and round, the
 * global model it trained from, the delta's hash and size, the bags behind it and the privacy applied. The
 * coordinator checks the signature before accepting the update and keeps statement and signature in its round log,
 * so no one can later claim the site sent something else, and the site cannot deny what it sent.
 *
 * @param privacy  empty when the update was not noised
 * @param encoding how the update's bytes encode the delta; hash and size are of those bytes. Written only when not
 *                 float32, so a float32 statement is byte for byte what it was before compression existed.
 * @param maskedFractionalBits for a securely aggregated round (docs/secure-aggregation.md): the bytes are the
 *                 site's masked input, int64 per coordinate with f fractional bits, and the statement says so as
 *                 {@code "secure_aggregation": {"fractional_bits": f}}; empty (and not written) otherwise
 */
public record UpdateStatement(String federationId, String site, int round, long baseModelVersion,
                              String baseModelSha256, String updateSha256, long trainingBags, long updateBytes,
                              Optional<PrivacyClaim> privacy, DeltaEncoding encoding,
                              java.util.OptionalInt maskedFractionalBits) implements Statement {

    public UpdateStatement(String federationId, String site, int round, long baseModelVersion,
                           String baseModelSha256, String updateSha256, long trainingBags, long updateBytes,
                           Optional<PrivacyClaim> privacy, DeltaEncoding encoding) {
        this(federationId, site, round, baseModelVersion, baseModelSha256, updateSha256, trainingBags, updateBytes,
                privacy, encoding, java.util.OptionalInt.empty());
    }

    public UpdateStatement(String federationId, String site, int round, long baseModelVersion,
                           String baseModelSha256, String updateSha256, long trainingBags, long updateBytes,
                           Optional<PrivacyClaim> privacy) {
        this(federationId, site, round, baseModelVersion, baseModelSha256, updateSha256, trainingBags, updateBytes,
                privacy, DeltaEncoding.FLOAT32);
    }

    public static final String KIND = "fedmil.update.v1";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", federationId);
        f.put("site", site);
        f.put("round", round);
        f.put("base_model_version", baseModelVersion);
        f.put("base_model_sha256", baseModelSha256);
        f.put("update_sha256", updateSha256);
        f.put("training_bags", trainingBags);
        f.put("update_bytes", updateBytes);
        privacy.ifPresent(p -> f.put("privacy", p.fields()));
        if (encoding != DeltaEncoding.FLOAT32) {
            f.put("update_encoding", encoding.configName());
        }
        maskedFractionalBits.ifPresent(bits -> f.put("secure_aggregation", Map.of("fractional_bits", bits)));
        return f;
    }

    @SuppressWarnings("unchecked")
    public static UpdateStatement parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        Optional<PrivacyClaim> privacy = m.get("privacy") instanceof Map<?, ?> p
                ? Optional.of(PrivacyClaim.of((Map<String, Object>) p)) : Optional.empty();
        return new UpdateStatement(Statement.text(m, "federation_id"), Statement.text(m, "site"),
                (int) Statement.number(m, "round"), Statement.number(m, "base_model_version"),
                Statement.text(m, "base_model_sha256"), Statement.text(m, "update_sha256"),
                Statement.number(m, "training_bags"), Statement.number(m, "update_bytes"), privacy,
                m.get("update_encoding") instanceof String e ? DeltaEncoding.fromConfigName(e)
                        : DeltaEncoding.FLOAT32,
                m.get("secure_aggregation") instanceof Map<?, ?> sa && sa.get("fractional_bits") instanceof Number n
                        ? java.util.OptionalInt.of(n.intValue()) : java.util.OptionalInt.empty());
    }
}
