package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.util.Sha256;

/**
 * The receipt a site gets for an accepted update, the same whether the upload itself or a later UploadStatus
 * answers: the counts of the round and the coordinator's signed statement of the acceptance from the round log.
 */
record Receipts(AuditTrail audit) {

    UploadReceipt of(String site, FederationRun.UploadAccepted ok, ByteString sha) {
        UploadReceipt.Builder b = UploadReceipt.newBuilder().setRound(ok.round()).setDeltaSha256(sha)
                .setUpdatesReceived(ok.updatesReceived()).setUpdatesExpected(ok.updatesExpected());
        // absent only for an update accepted before a coordinator restart: the site then holds no receipt for it
        audit.receipt(site, ok.round(), Sha256.hex(sha.toByteArray())).ifPresent(r -> b.setSignedReceipt(r.statement())
                .setReceiptSignature(ByteString.copyFrom(java.util.Base64.getDecoder().decode(r.sig()))));
        return b.build();
    }
}
