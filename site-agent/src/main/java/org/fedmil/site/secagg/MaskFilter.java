package org.fedmil.site.secagg;

import org.fedmil.audit.PrivacyClaim;
import org.fedmil.privacy.DistributedDiscreteGaussian;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.outbound.OutboundFilter;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;

/**
 * Secure aggregation's step on the way out: the encoded delta (as the coordinator would have decoded it) becomes
 * this site's masked input, one little-endian int64 per coordinate in fixed point, which alone tells the
 * coordinator nothing. The session masks once; a resend is the same bytes.
 *
 * <p>Under distributed DP the delta arrives clipped by nothing and noised by nothing: here it is clipped to C, this
 * site's share of discrete Gaussian noise is added in the ring (calibrated to the round's threshold t, the fewest
 * sites whose noise any unmasked sum contains), and the release is charged to the site's ledger at the central
 * noise multiplier before it is sent.
 */
public final class MaskFilter implements OutboundFilter {

    private final SecAggSession session;
    private final SitePrivacy privacy;
    private final long assignedWeight;

    /** Without a ledger: rounds that ask for distributed DP are refused. */
    MaskFilter(SecAggSession session) {
        this(session, null, 0);
    }

    MaskFilter(SecAggSession session, SitePrivacy privacy) {
        this(session, privacy, 0);
    }

    /**
     * @param assignedWeight the most the coordinator lets this delta weigh in the sum (its share cap), which it
     *                       divides the sum by; 0 when it set none (then the site's own bag count)
     */
    MaskFilter(SecAggSession session, SitePrivacy privacy, long assignedWeight) {
        this(session, privacy, assignedWeight, null);
    }

    /** @param share a DP-FedSGD round's integer share (grid units, noise share in it); null in other rounds */
    MaskFilter(SecAggSession session, SitePrivacy privacy, long assignedWeight, long[] share) {
        this.session = session;
        this.privacy = privacy;
        this.assignedWeight = assignedWeight;
        this.share = share;
    }

    private final long[] share;

    /** The weight this site's delta goes into the sum with: its bags, at most what the coordinator assigned. */
    long weightOf(Outbound update) {
        return assignedWeight > 0 ? Math.min(update.trainingBags(), assignedWeight) : update.trainingBags();
    }

    @Override
    public Outbound apply(Outbound update) {
        Outbound.Release r = update.release();
        SecAggParameters p = session.parameters();
        if (r.dpFedSgd().isPresent()) {
            return fedSgdShare(update, r.dpFedSgd().get(), p);
        }
        if (!r.distributed()) {
            byte[] masked = session.mask(() -> flat(update), weightOf(update), null);
            return update.masked(masked, p.fractionalBits());
        }
        if (privacy == null) {
            throw new org.fedmil.site.policy.PolicyViolation("training.dp.distributed", "round " + update.round()
                    + " asks for distributed DP, but this agent has no privacy ledger to charge it to; nothing sent");
        }
        DistributedDiscreteGaussian noise = new DistributedDiscreteGaussian(r.clipNorm().getAsDouble(),
                r.noiseMultiplier().getAsDouble(), p.threshold());
        byte[] masked = session.mask(() -> flat(update), weightOf(update), noise);
        PrivacyClaim claim = privacy.chargeDistributed(update.federationId(), update.round(),
                Sha256.hex(Sha256.of(masked)), noise.clipNorm(), noise.centralNoiseMultiplier(p.integerScale(),
                        p.length()));
        return update.masked(masked, p.fractionalBits()).withPrivacy(claim);
    }

    /**
     * A DP-FedSGD share masked as it is (its weight only tells the coordinator the bags claimed; the sum is divided
     * by the federation's expected lot), charged at the multiplier z′ any sum of K_min shares carries before it is
     * sent; this site then helps unmask no sum of fewer than K_min shares.
     */
    private Outbound fedSgdShare(Outbound update, org.fedmil.mil.train.DpFedSgd dp, SecAggParameters p) {
        if (share == null) {
            throw new IllegalStateException("round " + update.round() + " runs DP-FedSGD but no share was handed "
                    + "to the mask step; nothing sent");
        }
        if (privacy == null) {
            throw new org.fedmil.site.policy.PolicyViolation("training.dp.mode", "round " + update.round()
                    + " asks for DP-FedSGD, but this agent has no privacy ledger to charge it to; nothing sent");
        }
        if (share.length != p.length()) {
            throw new IllegalStateException("the DP-FedSGD share has " + share.length + " coordinates, round "
                    + update.round() + "'s secure aggregation " + p.length() + "; nothing sent");
        }
        byte[] masked = session.maskEncoded(() -> share, weightOf(update));
        session.requireSurvivorsForRelease(dp.minNoisedSites());
        org.fedmil.mil.train.GradientGrid grid = dp.grid(p.length());
        PrivacyClaim claim = privacy.chargeDpFedSgd(update.federationId(), update.round(),
                Sha256.hex(Sha256.of(masked)), dp.clipNorm(), dp.centralNoiseMultiplier(grid, p.length()),
                dp.samplingRate());
        return update.masked(masked, p.fractionalBits()).withPrivacy(claim);
    }

    private static float[] flat(Outbound update) {
        TensorSet delta = DeltaCodec.decode(update.specs(), update.encoding(), update.bytes());
        float[] out = new float[Math.toIntExact(delta.parameterCount())];
        int at = 0;
        for (NamedTensor t : delta.tensors()) {
            System.arraycopy(t.values(), 0, out, at, t.size());
            at += t.size();
        }
        return out;
    }
}
