package org.fedmil.site.audit;

import com.google.protobuf.ByteString;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.function.Supplier;
import org.fedmil.audit.LogHead;
import org.fedmil.audit.RoundLog;
import org.fedmil.audit.SignedStatement;
import org.fedmil.audit.SiteHeads;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.proto.v1.SignedLogHead;
import org.fedmil.proto.v1.UpdateHeader;

/**
 * Countersigns, with every update, the round-log head this site last received and checked, and its own egress-log
 * and privacy-ledger heads ({@link SiteHeads}). The coordinator keeps the signature in its round log: the site vouches
 * for the log's records up to that head, and the log anchors the site's egress log and ledger.
 */
public final class SiteHeadsSigner {

    private final PrivateKey key;
    private final EgressLog egress;
    private final ReceiptStore receipts;
    private final Supplier<PrivacyLedger.Head> ledger;

    public SiteHeadsSigner(PrivateKey key, EgressLog egress, ReceiptStore receipts,
                           Supplier<PrivacyLedger.Head> ledger) {
        this.key = key;
        this.egress = egress;
        this.receipts = receipts;
        this.ledger = ledger;
    }

    /** {@code header} with the site's signed heads for an update to {@code federationId} round {@code round}. */
    public UpdateHeader attach(UpdateHeader header, String federationId, String site, int round) {
        LogHead log = receipts.latestHead(federationId).orElse(null);
        RoundLog.Entry own = egress.head();
        PrivacyLedger.Head spent = ledger.get();
        SiteHeads heads = new SiteHeads(federationId, site, round, log == null ? 0 : log.records(),
                log == null ? RoundLog.GENESIS : log.lastSha256(), own.seq(), own.sha256(), spent.releases(),
                spent.sha256());
        SignedStatement signed = SignedStatement.sign(heads, key);
        return header.toBuilder().setSiteHeads(SignedLogHead.newBuilder().setStatement(signed.statement())
                .setSignature(ByteString.copyFrom(Base64.getDecoder().decode(signed.sig())))).build();
    }
}
