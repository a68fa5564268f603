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
        if (!pinned.isEmpty() && !pinned.equalsIgnoreCase(join.featureEncoderSha256())
                && plan.encoderBlock().isPresent()) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "site '" + siteId + "' was not "
                    + "admitted: federation '" + plan.federationId() + "' fine-tunes " + plan.encoderBlock().get()
                    .describe() + " on tiles, but the site's encoder file " + (join.featureEncoderSha256().isEmpty()
                    ? "is not set (encoder_file in site.yaml)" : "has SHA-256 " + join.featureEncoderSha256())
                    + "; set encoder_file in site.yaml to the consortium's encoder (docs/site-guide.md, "
                    + "\"Fine-tuning the encoder's last block\")");
        }
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
            join.dataShape().misfit(siteId, plan.federationId(), plan.dataSpec()).ifPresent(why -> {
                throw new FederationException(Status.Code.FAILED_PRECONDITION, why);
            });
        }
    }
}
