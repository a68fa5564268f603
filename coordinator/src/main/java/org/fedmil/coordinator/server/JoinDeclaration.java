package org.fedmil.coordinator.server;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.SignedStatement;
import org.fedmil.audit.Signatures;
import org.fedmil.coordinator.round.DataShape;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.protocol.JoinWire;

/**
 * What a JoinRequest declares, checked as it arrives: every string within its {@link SiteText} rule, bag counts
 * only for the labels 0 and 1, each label once, each count between 0 and {@link #MAX_BAGS_PER_LABEL}, so that the
 * declaration the round log records is short and its bag total cannot overflow.
 */
final class JoinDeclaration {

    /** The most bags a site may declare per label: far above any hospital's slides, far below overflow. */
    static final long MAX_BAGS_PER_LABEL = 1_000_000_000L;
    /** Feature dimension a site may declare: at most what the coordinator's largest model takes. */
    static final int MAX_FEATURES = 1 << 20;

    private JoinDeclaration() {
    }

    /**
     * @param site        the CN of the caller's certificate
     * @param certificate the certificate the caller connected with: its key must have signed the declaration
     * @throws FederationException INVALID_ARGUMENT naming the field that is out of its rule, or saying that the
     *                             declaration's signature does not check
     */
    static SiteJoin of(JoinRequest request, String site, X509Certificate certificate, String certificatePem,
                       boolean checkOnly) {
        String version = SiteText.SOFTWARE_VERSION.require(request.getSoftwareVersion());
        String device = SiteText.DEVICE.require(request.getDevice());
        String encoder = SiteText.FEATURE_ENCODER_SHA256.require(request.getFeatureEncoderSha256());
        Map<Integer, Long> counts = counts(request);
        DataShape shape = dataShape(request);
        return new SiteJoin(version, device, counts, certificatePem, encoder, shape, checkOnly,
                signed(request, site, certificate));
    }

    /** The site's signed statement of this request, checked; null when it signed none (an older agent). */
    private static SignedStatement signed(JoinRequest request, String site, X509Certificate certificate) {
        String sig = JoinWire.signature(request);
        if (sig == null) {
            return null;
        }
        String text = JoinWire.statement(site, request).canonicalJson();
        String problem = Signatures.problem(certificate.getPublicKey(), text.getBytes(StandardCharsets.UTF_8), sig,
                "site '" + site + "' (" + certificate.getSubjectX500Principal() + ")");
        if (problem != null) {
            throw invalid("declaration_signature does not check against site '" + site + "''s certificate: "
                    + problem + ". The site must sign its join statement (kind fedmil.join.v1, of exactly the "
                    + "fields it sends) with the key of the certificate it connects with; nothing was recorded");
        }
        return new SignedStatement(text, sig);
    }

    private static Map<Integer, Long> counts(JoinRequest request) {
        Map<Integer, Long> counts = new LinkedHashMap<>();
        for (LabelCount c : request.getBagsPerLabelList()) {
            if (c.getLabel() != 0 && c.getLabel() != 1) {
                throw invalid("bags_per_label names label " + c.getLabel() + "; bags are labelled 0 (negative) "
                        + "or 1 (positive), nothing else");
            }
            if (c.getBags() < 0 || c.getBags() > MAX_BAGS_PER_LABEL) {
                throw invalid("bags_per_label declares " + c.getBags() + " bags of label " + c.getLabel()
                        + "; a count is between 0 and " + MAX_BAGS_PER_LABEL);
            }
            if (counts.putIfAbsent(c.getLabel(), c.getBags()) != null) {
                throw invalid("bags_per_label names label " + c.getLabel() + " twice; declare each label once");
            }
        }
        return counts;
    }

    private static DataShape dataShape(JoinRequest request) {
        if (!request.hasDataShape()) {
            return null;
        }
        String kind = SiteText.DATA_SHAPE_KIND.require(request.getDataShape().getKind());
        if ("tiles".equals(kind)) {
            return DataShape.ofTiles();
        }
        int features = request.getDataShape().getFeatures();
        if (features < 0 || features > MAX_FEATURES) {
            throw invalid("data_shape.features is " + features + "; a feature dimension is between 0 and "
                    + MAX_FEATURES);
        }
        return DataShape.ofFeatures(features);
    }

    private static FederationException invalid(String what) {
        return new FederationException(Status.Code.INVALID_ARGUMENT, what);
    }
}
