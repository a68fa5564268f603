package org.fedmil.coordinator.server;

import io.grpc.Status;
import java.util.regex.Pattern;
import org.fedmil.coordinator.round.FederationException;

/**
 * Every string a site sends, with the longest value and the characters the coordinator accepts for it
 * (docs/protocol.md, "Limits on what a site sends"). Text that reaches the round log or the operator's screen is
 * bounded here, before it reaches the run: the signed round log can never shed a record, so whatever a site
 * writes into it stays there.
 */
enum SiteText {
    /** JoinRequest.software_version: e.g. {@code fedmil-site/1.4.0}. */
    SOFTWARE_VERSION("software_version", "[\\x20-\\x7E]{0,128}", "at most 128 printable ASCII characters"),
    /** JoinRequest.device: the DJL device, e.g. {@code cpu()} or {@code gpu(0)}. */
    DEVICE("device", "[\\x20-\\x7E]{0,128}", "at most 128 printable ASCII characters"),
    /** JoinRequest.feature_encoder_sha256: empty, or a SHA-256 in hex. */
    FEATURE_ENCODER_SHA256("feature_encoder_sha256", "([0-9A-Fa-f]{64})?", "empty or 64 hexadecimal digits"),
    /** JoinRequest.data_shape.kind. */
    DATA_SHAPE_KIND("data_shape.kind", "(tiles|features)?", "'tiles' or 'features'"),
    /** LeaveRequest.reason: free text, one line. */
    LEAVE_REASON("reason", "[^\\p{Cc}\\p{Cn}\\p{Cs}]{0,500}", "at most 500 characters, no control characters"),
    /** TensorSpec.name in an upload header. */
    TENSOR_NAME("tensor name", "[\\x21-\\x7E]{1," + HeaderTensors.MAX_NAME_LENGTH + "}",
            "1–" + HeaderTensors.MAX_NAME_LENGTH + " printable ASCII characters without spaces"),
    /** Site names inside secure-aggregation messages (from_site, to_site, owner): a certificate's name. */
    SITE_NAME("site name", "[A-Za-z0-9][A-Za-z0-9._-]{0,63}", "a site name: 1–64 of A-Z a-z 0-9 . _ -"),
    /** SecAggKeys.signature: base64 of one signature. */
    SIGNATURE("signature", "[A-Za-z0-9+/=]{0,1024}", "at most 1024 base64 characters");

    private final String field;
    private final Pattern allowed;
    private final String rule;

    SiteText(String field, String allowed, String rule) {
        this.field = field;
        this.allowed = Pattern.compile(allowed);
        this.rule = rule;
    }

    boolean allows(String value) {
        // the length is checked first, so the pattern never runs over a megabyte of text
        return value.length() <= 1024 && allowed.matcher(value).matches();
    }

    /**
     * @throws FederationException INVALID_ARGUMENT naming the field and its rule, never echoing more than a short
     *                             prefix of what was sent
     */
    String require(String value) {
        if (!allows(value)) {
            throw new FederationException(Status.Code.INVALID_ARGUMENT, field + " " + shown(value) + " is not "
                    + rule + "; the coordinator accepts nothing else (docs/protocol.md, \"Limits on what a site "
                    + "sends\")");
        }
        return value;
    }

    /** A value as an error message may show it: quoted, cut at 40 characters, control characters escaped. */
    String shown(String value) {
        String cut = value.length() > 40 ? value.substring(0, 40) + "…(" + value.length() + " characters)" : value;
        StringBuilder b = new StringBuilder("'");
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7F || Character.getType(c) == Character.UNASSIGNED) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('\'').toString();
    }
}
