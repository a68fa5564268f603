package org.fedmil.coordinator.server;

import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.coordinator.round.DataShape;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;

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

    /** @throws FederationException INVALID_ARGUMENT naming the field that is out of its rule */
    static SiteJoin of(JoinRequest request, String certificatePem, boolean checkOnly) {
        String version = SiteText.SOFTWARE_VERSION.require(request.getSoftwareVersion());
        String device = SiteText.DEVICE.require(request.getDevice());
        String encoder = SiteText.FEATURE_ENCODER_SHA256.require(request.getFeatureEncoderSha256());
        return new SiteJoin(version, device, counts(request), certificatePem, encoder, dataShape(request), checkOnly);
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
