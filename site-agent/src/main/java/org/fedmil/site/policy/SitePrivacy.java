package org.fedmil.site.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.privacy.GaussianMechanism;
import org.fedmil.privacy.PrivacyBudgetExceededException;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.privacy.PrivacySpent;
import org.fedmil.proto.v1.DifferentialPrivacy;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;

/**
 * Differential privacy at the site: clips and noises a delta with the federation's (C, σ), then charges the
 * release to the site's own ledger ({@code privacy-ledger.json} in the state folder), which persists across
 * federations and restarts, before the delta may be sent. A release that would take the site past its lifetime
 * budget is refused before it is charged or sent.
 */
public final class SitePrivacy {

    /** Every site takes part in every round it is asked to: no subsampling amplification is claimed. */
    public static final double SAMPLING_RATE = 1.0;

    private final SitePolicy.Dp policy;
    private final Path ledgerFile;
    private final PrivacyLedger.Seal seal;
    private PrivacyLedger ledger;

    public SitePrivacy(SitePolicy.Dp policy, Path stateDir) {
        this(policy, stateDir, null);
    }

    /** With {@code seal} (the site's key), every release the ledger records is signed and chained. */
    public SitePrivacy(SitePolicy.Dp policy, Path stateDir, PrivacyLedger.Seal seal) {
        this.policy = policy;
        this.ledgerFile = stateDir.resolve(PrivacyLedger.FILE_NAME);
        this.seal = seal;
    }

    /** The ledger's head (no releases when the site never made one), which the site countersigns with updates. */
    public synchronized PrivacyLedger.Head ledgerHead() {
        if (ledger == null && !java.nio.file.Files.exists(ledgerFile)) {
            return new PrivacyLedger.Head(0, PrivacyLedger.GENESIS);
        }
        return ledger().head();
    }

    /** The noised delta to send and what the site states about it. */
    public record Release(TensorSet delta, PrivacyClaim claim, double normBeforeClipping) {
    }

    private synchronized PrivacyLedger ledger() {
        if (ledger == null) {
            try {
                ledger = PrivacyLedger.open(ledgerFile, policy.delta(), seal);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the site's privacy ledger " + ledgerFile + ": "
                        + e.getMessage(), e);
            }
        }
        return ledger;
    }

    /** ε this site has spent so far, over all federations, at its δ. */
    public PrivacySpent spent() {
        return ledger().spent();
    }

    /** Refuses, before any training, a round whose release would exceed the lifetime budget. */
    public void requireBudgetFor(double noiseMultiplier) {
        requireBudgetFor(SAMPLING_RATE, noiseMultiplier, 1);
    }

    /** As above for a round of {@code steps} DP-SGD steps at bag sampling rate q. */
    public void requireBudgetFor(double q, double noiseMultiplier, int steps) {
        if (policy.lifetimeEpsilon() == null) {
            return;
        }
        PrivacySpent after = ledger().wouldSpend(q, noiseMultiplier, steps);
        if (after.epsilon() > policy.lifetimeEpsilon()) {
            throw new PolicyViolation("dp.lifetime_epsilon", String.format(java.util.Locale.ROOT,
                    "one more update at noise multiplier %s would take this site's spent privacy from ε = %.4g to "
                            + "ε = %.4g (δ = %s), above its lifetime budget ε = %s; nothing was trained or sent. The "
                            + "ledger is %s", noiseMultiplier, ledger().spent().epsilon(), after.epsilon(),
                    policy.delta(), policy.lifetimeEpsilon(), ledgerFile));
        }
    }

    /**
     * Charges a distributed-DP release (the masked input whose SHA-256 is {@code releasedSha256}) at the central
     * noise multiplier its sum is guaranteed, before it is sent.
     *
     * @throws PolicyViolation when it would take the site past its lifetime budget; nothing is recorded then
     */
    public PrivacyClaim chargeDistributed(String federationId, int round, String releasedSha256, double clipNorm,
                                          double centralNoiseMultiplier) {
        PrivacySpent stated = charge(federationId, round, releasedSha256, SAMPLING_RATE, centralNoiseMultiplier, 1);
        return new PrivacyClaim(clipNorm, centralNoiseMultiplier, SAMPLING_RATE, stated.delta(), stated.epsilon());
    }

    /**
     * Charges a DP-FedSGD share (the masked integer vector whose SHA-256 is {@code releasedSha256}): one
     * sampled-Gaussian release at bag sampling rate q and the noise multiplier z′ that any released sum of at least
     * K_min shares is guaranteed ({@link org.fedmil.mil.train.DpFedSgd#centralNoiseMultiplier}), before it is sent.
     *
     * @throws PolicyViolation when it would take the site past its lifetime budget; nothing is recorded then
     */
    public PrivacyClaim chargeDpFedSgd(String federationId, int round, String releasedSha256, double clipNorm,
                                       double chargedMultiplier, double q) {
        PrivacySpent stated = charge(federationId, round, releasedSha256, q, chargedMultiplier, 1);
        return new PrivacyClaim(clipNorm, chargedMultiplier, q, stated.delta(), stated.epsilon());
    }

    /**
     * Charges a delta trained under patient-level DP-SGD: {@code steps} sampled-Gaussian steps at bag sampling rate
     * q and noise multiplier σ, per-bag clip C. The delta is sent as it is (the noise is already in it).
     */
    public Release chargeDpSgd(String federationId, int round, TensorSet delta, double clipNorm,
                               double noiseMultiplier, double q, int steps) {
        String sha = Sha256.hex(Sha256.of(TensorCodec.encode(delta)));
        PrivacySpent stated = charge(federationId, round, sha, q, noiseMultiplier, steps);
        return new Release(delta, new PrivacyClaim(clipNorm, noiseMultiplier, q, stated.delta(), stated.epsilon()),
                GaussianMechanism.l2Norm(delta));
    }

    /**
     * Records a release in the ledger (refused past the lifetime budget) and returns the spend the coordinator is
     * told: this federation's, unless the policy chose to tell it the lifetime one.
     */
    private PrivacySpent charge(String federationId, int round, String sha, double q, double noiseMultiplier,
                                int steps) {
        PrivacySpent spent;
        try {
            spent = policy.lifetimeEpsilon() == null
                    ? ledger().charge(federationId, round, sha, q, noiseMultiplier, steps)
                    : ledger().chargeWithin(federationId, round, sha, q, noiseMultiplier, steps,
                    policy.lifetimeEpsilon());
        } catch (PrivacyBudgetExceededException e) {
            throw new PolicyViolation("dp.lifetime_epsilon", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the release in the privacy ledger " + ledgerFile
                    + "; nothing was sent: " + e.getMessage(), e);
        }
        return policy.reportsLifetime() ? spent : ledger().spentIn(federationId);
    }

    /** Clips, noises, and charges the release to the ledger; the caller sends the returned delta and nothing else. */
    public Release release(String federationId, int round, TensorSet delta, DifferentialPrivacy dp) {
        return release(federationId, round, delta, dp.getClipNorm(), dp.getNoiseMultiplier());
    }

    /** As above, with the federation's clip norm C and noise multiplier σ. */
    public Release release(String federationId, int round, TensorSet delta, double clipNorm, double noiseMultiplier) {
        GaussianMechanism.Release noised = new GaussianMechanism(clipNorm, noiseMultiplier).apply(delta);
        String sha = Sha256.hex(Sha256.of(TensorCodec.encode(noised.noised())));
        PrivacySpent stated = charge(federationId, round, sha, SAMPLING_RATE, noiseMultiplier, 1);
        return new Release(noised.noised(), new PrivacyClaim(clipNorm, noiseMultiplier,
                SAMPLING_RATE, stated.delta(), stated.epsilon()), noised.normBeforeClipping());
    }
}
