package org.fedmil.protocol;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.JoinStatement;
import org.fedmil.audit.Signatures;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;

/**
 * A {@link JoinRequest} ↔ the {@link JoinStatement} the site signs: both sides build the statement from the
 * request's fields, so the signature travels alone ({@code declaration_signature}) and cannot cover something
 * other than what was sent.
 */
public final class JoinWire {

    private JoinWire() {
    }

    /** The statement of this request, made by the site whose certificate's CN is {@code site}. */
    public static JoinStatement statement(String site, JoinRequest r) {
        Map<Integer, Long> bags = new LinkedHashMap<>();
        for (LabelCount c : r.getBagsPerLabelList()) {
            bags.put(c.getLabel(), c.getBags());
        }
        return new JoinStatement(site, bags, r.hasDataShape() ? r.getDataShape().getKind() : "",
                r.hasDataShape() ? r.getDataShape().getFeatures() : 0, r.getFeatureEncoderSha256(),
                r.getSoftwareVersion(), r.getDevice());
    }

    /** The request with the site's signature of its statement. */
    public static JoinRequest signed(String site, JoinRequest r, PrivateKey key) {
        String sig = Signatures.sign(key, statement(site, r).canonicalJson().getBytes(StandardCharsets.UTF_8));
        return r.toBuilder().setDeclarationSignature(ByteString.copyFrom(Base64.getDecoder().decode(sig))).build();
    }

    /** The request's signature as the round log keeps it (base64), or null when the site sent none. */
    public static String signature(JoinRequest r) {
        return r.getDeclarationSignature().isEmpty() ? null
                : Base64.getEncoder().encodeToString(r.getDeclarationSignature().toByteArray());
    }
}
