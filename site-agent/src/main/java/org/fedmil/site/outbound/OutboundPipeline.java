package org.fedmil.site.outbound;

import java.util.Optional;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.site.audit.ReceiptStore;
import org.fedmil.site.audit.SiteHeadsSigner;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.task.Membership;
import org.fedmil.util.Sha256;

/**
 * Every path by which this site releases a delta (train, pretrain, the secure-aggregation masked upload) goes
 * through here: policy → DP → compression once per round and base model, then (masking, for secure aggregation)
 * signing and the upload for every send.
 *
 * <p>The released delta is kept until another round's is made, so that a broken upload, or the same task asked
 * again, is sent byte for byte: drawing fresh noise for a resend would release the site's data twice.
 */
public final class OutboundPipeline {

    /** Sends a signed header and its bytes, resuming a broken stream, and returns the coordinator's receipt. */
    @FunctionalInterface
    public interface Uploader {
        UploadReceipt upload(UpdateHeader header, byte[] bytes) throws InterruptedException;

        /** As above, for bytes read a piece at a time; by default in one array. */
        default UploadReceipt upload(UpdateHeader header, WireBytes bytes) throws InterruptedException {
            return upload(header, bytes.array());
        }
    }

    /** What went out and what the coordinator signed for it. */
    public record Sent(Outbound update, UploadReceipt receipt) {
    }

    private final PolicyGuard policy;
    private final Membership membership;
    private final DpFilter dp;
    private final CompressionFilter compression;
    private final FilterChain release;
    private final SignFilter sign;
    private final Uploader uploader;
    private final ReceiptStore receipts;
    private final SiteHeadsSigner heads;
    private Outbound kept;

    public OutboundPipeline(PolicyGuard policy, Membership membership, DpFilter dp, CompressionFilter compression,
                            SignFilter sign, Uploader uploader, ReceiptStore receipts) {
        this(policy, membership, dp, compression, sign, uploader, receipts, null);
    }

    /** With {@code heads}, every update carries the site's countersignature of the heads it holds. */
    public OutboundPipeline(PolicyGuard policy, Membership membership, DpFilter dp, CompressionFilter compression,
                            SignFilter sign, Uploader uploader, ReceiptStore receipts, SiteHeadsSigner heads) {
        this.heads = heads;
        this.policy = policy;
        this.membership = membership;
        this.dp = dp;
        this.compression = compression;
        this.release = FilterChain.of(new PolicyFilter(policy), dp, compression);
        this.sign = sign;
        this.uploader = uploader;
        this.receipts = receipts;
    }

    /**
     * Holds a training task against the site policy before anything is downloaded, trained or sent, and returns
     * the delta already released for this round and base model, when the task is the same again (an upload broke
     * off, or the coordinator restarted the round). Otherwise it checks that the privacy budget allows one more
     * release, and the caller trains and then calls {@link #release}.
     */
    public Optional<Outbound> admit(ModelSpec model, int round, long baseVersion, TrainingConfig config) {
        policy.checkModel(model);
        policy.checkTraining(membership.federationId(), round, baseVersion, config);
        if (kept != null && kept.round() == round && kept.baseVersion() == baseVersion) {
            return Optional.of(kept);
        }
        dp.requireBudgetFor(Outbound.Release.of(config));
        // another round's delta is never sent again once a new one is asked for; holding it (the delta and its bytes,
        // two model copies) through this round's download and training would double what the site holds at once
        kept = null;
        return Optional.empty();
    }

    /** A trained delta through policy, DP and compression; kept for a resend. */
    public Outbound release(Outbound trained) {
        kept = release.apply(trained);
        return kept;
    }

    /**
     * Sends a released delta: {@code beforeSigning} (the secure-aggregation mask) and the signature applied, the
     * round noted for max_rounds, then uploaded; the coordinator's receipt is checked and kept.
     */
    public Sent send(Outbound released, OutboundFilter... beforeSigning) throws InterruptedException {
        Outbound ready = new FilterChain(java.util.List.of(beforeSigning)).then(sign).apply(released);
        String federationId = membership.federationId();
        policy.noteSending(federationId, ready.round(), ready.baseVersion());
        UpdateHeader header = heads == null ? ready.header()
                : heads.attach(ready.header(), federationId, membership.siteId(), ready.round());
        UploadReceipt receipt = uploader.upload(header, ready.wire());
        receipts.keep(federationId, membership.siteId(), ready.round(),
                Sha256.hex(receipt.getDeltaSha256().toByteArray()), receipt);
        return new Sent(ready, receipt);
    }

    /** After a Join: a residual of lossy encoding belongs to the federation whose model it was rounded off. */
    public void joined(boolean otherFederation) {
        if (otherFederation) {
            compression.reset();
        }
    }
}
