package org.fedmil.site.policy;

import java.util.Locale;
import java.util.Objects;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.site.config.SitePolicy;

/**
 * Holds each task against the site's {@link SitePolicy} before the agent acts on it. Plain logic: each check
 * either returns or throws a {@link PolicyViolation} naming the rule. (The pinned coordinator fingerprint is checked
 * in the TLS handshake, see {@link org.fedmil.site.audit.CoordinatorIdentity}.)
 */
public final class PolicyGuard {

    private final SitePolicy policy;
    private final Participation participation;

    public PolicyGuard(SitePolicy policy, Participation participation) {
        this.policy = policy;
        this.participation = participation;
    }

    public SitePolicy policy() {
        return policy;
    }

    /** Before joining: the site holds at least policy.min_bags bags. */
    public void checkData(LabelCounts counts) {
        checkBags(counts.total());
    }

    /**
     * Whether aggregates over {@code bags} bags (a validation result) may leave under policy.min_bags. Unlike the
     * update itself, their absence stops nothing: the site then simply sends no validation.
     */
    public boolean allowsAggregateOf(long bags) {
        return policy.minBags() == null || bags >= policy.minBags();
    }

    /** Before sending an update: it was trained on at least policy.min_bags bags. */
    public void checkBags(long bags) {
        if (policy.minBags() != null && bags < policy.minBags()) {
            throw new PolicyViolation("min_bags", "an update would rest on " + bags + " bags, fewer than the "
                    + policy.minBags() + " this site's policy requires behind anything it sends; add bags or "
                    + "lower policy.min_bags with your data-protection officer");
        }
    }

    /** The task's model is the approved one (every key given in policy.approved_model). */
    public void checkModel(ModelSpec spec) {
        SitePolicy.ApprovedModel a = policy.approvedModel();
        if (a == null) {
            return;
        }
        mustEqual("approved_model.architecture", a.architecture(), spec.architecture().configName());
        mustEqual("approved_model.encoder", a.encoder(), spec.encoder().configName());
        mustEqual("approved_model.input_dim", a.inputDim(), spec.inputDim());
        mustEqual("approved_model.hidden_dim", a.hiddenDim(), spec.hiddenDim());
        mustEqual("approved_model.attention_dim", a.attentionDim(), spec.attentionDim());
        mustEqual("approved_model.channels", a.channels(), spec.channels());
        mustEqual("approved_model.tile_size", a.tileSize(), spec.tileSize());
    }

    /** After joining: the federation's pinned pretrained encoder is the one policy.approved_model names. */
    public void checkFeatureEncoder(String federationId, String pinned) {
        SitePolicy.ApprovedModel a = policy.approvedModel();
        if (a == null || a.featureEncoderSha256() == null) {
            return;
        }
        if (!a.featureEncoderSha256().equalsIgnoreCase(pinned)) {
            throw new PolicyViolation("approved_model.feature_encoder_sha256", "federation '" + federationId + "' "
                    + (pinned.isEmpty() ? "pins no pretrained encoder" : "trains on features of the encoder with "
                    + "SHA-256 " + pinned) + ", but this site approved only the encoder with SHA-256 "
                    + a.featureEncoderSha256() + "; nothing was trained or sent");
        }
    }

    private static void mustEqual(String rule, Object approved, Object asked) {
        if (approved != null && !Objects.equals(String.valueOf(approved).toLowerCase(Locale.ROOT),
                String.valueOf(asked).toLowerCase(Locale.ROOT))) {
            throw new PolicyViolation(rule, "the federation asks to train a model with " + rule.substring(
                    rule.indexOf('.') + 1) + " = " + asked + ", but this site approved only " + approved
                    + "; nothing was trained or sent");
        }
    }

    /**
     * Before training round {@code round}: the site has not yet reached policy.max_rounds, and the differential
     * privacy the task asks for is what the policy requires.
     */
    public void checkTraining(String federationId, int round, long baseVersion, TrainingConfig config) {
        if (policy.maxRounds() != null && !participation.contains(federationId, round, baseVersion)
                && participation.count(federationId) >= policy.maxRounds()) {
            throw new PolicyViolation("max_rounds", "round " + round + " of federation '" + federationId
                    + "' would be this site's round " + (participation.count(federationId) + 1) + ", but its "
                    + "policy allows at most " + policy.maxRounds() + "; nothing was trained or sent");
        }
        SitePolicy.Dp dp = policy.dp();
        if (!config.hasDp()) {
            if (dp.required()) {
                throw new PolicyViolation("dp.required", "round " + round + " of federation '" + federationId
                        + "' asks for no differential privacy, and this site's policy requires it; nothing was "
                        + "trained or sent. Ask the consortium operator to set training.dp");
            }
            if (dp.lifetimeEpsilon() != null) {
                throw new PolicyViolation("dp.lifetime_epsilon", "round " + round + " asks for no differential "
                        + "privacy: an update without noise has unbounded ε, and this site keeps a lifetime budget "
                        + "of ε = " + dp.lifetimeEpsilon() + "; nothing was trained or sent");
            }
            return;
        }
        double sigma = config.getDp().getNoiseMultiplier();
        double clip = config.getDp().getClipNorm();
        if (!(sigma > 0) || !(clip > 0)) {
            throw new PolicyViolation("dp", "the task's differential privacy is malformed (clip_norm " + clip
                    + ", noise_multiplier " + sigma + "); nothing was trained or sent");
        }
        if (config.getDp().getMode() == org.fedmil.proto.v1.DpMode.DP_SGD_PER_BAG
                && !(config.getDp().getSamplingRate() > 0 && config.getDp().getSamplingRate() <= 1)) {
            throw new PolicyViolation("dp", "the task asks for DP-SGD per bag with sampling rate "
                    + config.getDp().getSamplingRate() + ", outside (0, 1]; nothing was trained or sent");
        }
        if (config.getDp().getMode() == org.fedmil.proto.v1.DpMode.DP_FEDSGD
                && (!(config.getDp().getSamplingRate() > 0 && config.getDp().getSamplingRate() <= 1)
                || config.getDp().getMinNoisedSites() < 2)) {
            // K_min = 1 would let one site's share carry all the noise: the sum of one is that site's gradients
            throw new PolicyViolation("dp", "the task asks for DP-FedSGD with sampling rate "
                    + config.getDp().getSamplingRate() + " and min_noised_sites " + config.getDp().getMinNoisedSites()
                    + "; this site takes part only with q in (0, 1] and at least 2 noised sites per released sum; "
                    + "nothing was computed or sent");
        }
        if (dp.minNoiseMultiplier() != null && sigma < dp.minNoiseMultiplier()) {
            throw new PolicyViolation("dp.min_noise_multiplier", "the task's noise multiplier " + sigma
                    + " is below the " + dp.minNoiseMultiplier() + " this site's policy requires; nothing was "
                    + "trained or sent");
        }
        if (dp.maxClipNorm() != null && clip > dp.maxClipNorm()) {
            throw new PolicyViolation("dp.max_clip_norm", "the task's clip norm " + clip + " is above the "
                    + dp.maxClipNorm() + " this site's policy allows; nothing was trained or sent");
        }
    }

    /**
     * Notes durably that an update for {@code round}, trained from {@code baseVersion}, is about to be sent (counted
     * by max_rounds; the same round number from another base model counts again).
     */
    public void noteSending(String federationId, int round, long baseVersion) {
        participation.note(federationId, round, baseVersion);
    }
}
