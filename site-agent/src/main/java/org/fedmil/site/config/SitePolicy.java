package org.fedmil.site.config;

import java.nio.file.Path;
import java.util.Locale;
import org.fedmil.config.ConfigException;
import org.fedmil.site.audit.CoordinatorIdentity;

/**
 * What a hospital agrees to send, set by its own IT or data-protection officer in site.yaml's {@code policy} section
 * and enforced by the agent before anything is sent. Every rule is optional; an absent rule allows everything.
 *
 * @param coordinatorFingerprint the SHA-256 fingerprint of the only coordinator certificate this site talks to
 *                               ({@code openssl x509 -noout -fingerprint -sha256} prints it); checked in the TLS
 *                               handshake, before any request byte goes out
 * @param maxRounds              the most training rounds of one federation this site sends an update for
 * @param minBags                the fewest bags an update may be trained on
 * @param dp                     differential privacy this site requires, and its lifetime privacy budget
 * @param approvedModel          the only model this site trains; every key given must match the task's model
 */
public record SitePolicy(String coordinatorFingerprint, Integer maxRounds, Integer minBags, Dp dp,
                         ApprovedModel approvedModel) {

    public static final SitePolicy NONE = new SitePolicy(null, null, null, null, null);

    /** δ a site accounts its privacy at, unless its policy says otherwise. */
    public static final double DEFAULT_DELTA = 1e-5;

    /**
     * @param required            refuse any task that does not ask for DP
     * @param minNoiseMultiplier  refuse a task whose noise multiplier σ is smaller
     * @param maxClipNorm         refuse a task whose clip norm C is larger
     * @param delta               the δ of this site's (ε, δ) accounting; default 1e-5
     * @param lifetimeEpsilon     this site's lifetime budget, over all federations: refuse to send an update that
     *                            would take its spent ε above it (and any update without DP, whose ε is unbounded)
     * @param reportEpsilon       which ε the site states to the coordinator with each update: {@code federation}
     *                            (the default: what it spent in this federation) or {@code lifetime} (over every
     *                            federation, which tells the coordinator how much the site took part elsewhere)
     */
    public record Dp(Boolean required, Double minNoiseMultiplier, Double maxClipNorm, Double delta,
                     Double lifetimeEpsilon, String reportEpsilon) {

        public static final String REPORT_FEDERATION = "federation";
        public static final String REPORT_LIFETIME = "lifetime";

        public Dp {
            required = required != null && required;
            delta = delta == null ? DEFAULT_DELTA : delta;
            reportEpsilon = reportEpsilon == null ? REPORT_FEDERATION : reportEpsilon;
        }

        public Dp(Boolean required, Double minNoiseMultiplier, Double maxClipNorm, Double delta,
                  Double lifetimeEpsilon) {
            this(required, minNoiseMultiplier, maxClipNorm, delta, lifetimeEpsilon, null);
        }

        /** True when the coordinator is told the lifetime spend rather than this federation's. */
        public boolean reportsLifetime() {
            return REPORT_LIFETIME.equals(reportEpsilon);
        }
    }

    /**
     * The model the site approved; a key left out is not checked. {@code featureEncoderSha256}: the pretrained
     * encoder (SHA-256 of its file) the site lets its features be used for; a federation that pins another, or
     * none, is refused at join.
     */
    public record ApprovedModel(String architecture, String encoder, Integer inputDim, Integer hiddenDim,
                                Integer attentionDim, Integer channels, Integer tileSize, String featureEncoderSha256) {

        public ApprovedModel(String architecture, String encoder, Integer inputDim, Integer hiddenDim,
                             Integer attentionDim, Integer channels, Integer tileSize) {
            this(architecture, encoder, inputDim, hiddenDim, attentionDim, channels, tileSize, null);
        }
    }

    public SitePolicy {
        dp = dp == null ? new Dp(null, null, null, null, null) : dp;
    }

    void validate(Path file) {
        if (coordinatorFingerprint != null
                && CoordinatorIdentity.normalize(coordinatorFingerprint).replace(":", "").length() != 64) {
            throw new ConfigException(file + ": key 'policy.coordinator_fingerprint' is '" + coordinatorFingerprint
                    + "', expected a SHA-256 fingerprint (64 hex digits, colons allowed), as "
                    + "`openssl x509 -in coordinator.pem -noout -fingerprint -sha256` prints it");
        }
        if (maxRounds != null && maxRounds < 1) {
            throw new ConfigException(file + ": key 'policy.max_rounds' is " + maxRounds + ", expected 1 or more");
        }
        if (minBags != null && minBags < 1) {
            throw new ConfigException(file + ": key 'policy.min_bags' is " + minBags + ", expected 1 or more");
        }
        if (dp.minNoiseMultiplier() != null && !(dp.minNoiseMultiplier() > 0)) {
            throw new ConfigException(file + ": key 'policy.dp.min_noise_multiplier' is " + dp.minNoiseMultiplier()
                    + ", expected a positive number");
        }
        if (dp.maxClipNorm() != null && !(dp.maxClipNorm() > 0)) {
            throw new ConfigException(file + ": key 'policy.dp.max_clip_norm' is " + dp.maxClipNorm()
                    + ", expected a positive number");
        }
        if (!(dp.delta() > 0 && dp.delta() < 1)) {
            throw new ConfigException(file + ": key 'policy.dp.delta' is " + dp.delta()
                    + ", expected a number between 0 and 1 (e.g. 1e-5, below 1 / the number of patients)");
        }
        if (!dp.reportEpsilon().equals(Dp.REPORT_FEDERATION) && !dp.reportEpsilon().equals(Dp.REPORT_LIFETIME)) {
            throw new ConfigException(file + ": key 'policy.dp.report_epsilon' is '" + dp.reportEpsilon()
                    + "', expected 'federation' (report this federation's spend, the default) or 'lifetime'");
        }
        if (dp.lifetimeEpsilon() != null && !(dp.lifetimeEpsilon() > 0)) {
            throw new ConfigException(file + ": key 'policy.dp.lifetime_epsilon' is " + dp.lifetimeEpsilon()
                    + ", expected a positive number");
        }
    }

    /** True when this site applies DP accounting to what it sends (a required DP or a lifetime budget). */
    public boolean accountsPrivacy() {
        return dp.required() || dp.lifetimeEpsilon() != null;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "policy(pin=%s, max_rounds=%s, min_bags=%s, dp=%s, approved_model=%s)",
                coordinatorFingerprint, maxRounds, minBags, dp, approvedModel);
    }
}
