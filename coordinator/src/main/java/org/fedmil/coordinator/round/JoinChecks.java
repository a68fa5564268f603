package org.fedmil.coordinator.round;

import io.grpc.Status;

/**
 * Whether a site's data can train the federation's model, decided at join (and by {@code fedmil site check},
 * which asks the same question without joining): a site whose features came from another encoder, or whose
 * data has another shape than the model's input, is refused with both values named instead of failing later
 * in a round it was counted on.
 */
final class JoinChecks {

    private JoinChecks() {
    }

    /** @throws FederationException FAILED_PRECONDITION naming what differs and what to do */
    static void admit(String siteId, SiteJoin join, FederationPlan plan) {
        String pinned = plan.featureEncoderSha256();
        if (!pinned.isEmpty() && !pinned.equalsIgnoreCase(join.featureEncoderSha256())) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "site '" + siteId + "' was not "
                    + "admitted: federation '" + plan.federationId() + "' trains on features of the pretrained "
                    + "encoder with SHA-256 " + pinned + ", but the site's features came from "
                    + (join.featureEncoderSha256().isEmpty() ? "no recorded encoder (its data folder has no "
                    + "features.json)" : "the encoder with SHA-256 " + join.featureEncoderSha256())
                    + "; compute them with the consortium's encoder: fedmil data features --encoder <its file> "
                    + "(docs/site-guide.md, \"Pretrained encoders\")");
        }
        if (join.dataShape() != null) {
            join.dataShape().misfit(siteId, plan.federationId(), plan.model()).ifPresent(why -> {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, why);
            });
        }
    }
}
