package org.fedmil.site.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.EgressSchema;
import org.fedmil.audit.LogHead;
import org.fedmil.audit.Receipt;
import org.fedmil.audit.SignedStatement;
import org.fedmil.proto.v1.SignedLogHead;
import org.fedmil.proto.v1.UploadReceipt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what the coordinator signed for this site, after checking it against the coordinator certificate the TLS
 * handshake admitted: a receipt per accepted update ({@code receipts/<federation>/round-N-<sha>.json}) and the
 * latest signed head of the round log ({@code receipts/<federation>/log-head.json}). Each is also noted in the
 * egress log. With these, an auditor can show later that the coordinator's log once held what it no longer does.
 */
public final class ReceiptStore {

    private static final Logger log = LoggerFactory.getLogger(ReceiptStore.class);

    private final Path stateDir;
    private final EgressLog egress;
    private final CoordinatorIdentity coordinator;
    private long headRecords = -1;
    private LogHead latestHead;

    public ReceiptStore(Path stateDir, EgressLog egress, CoordinatorIdentity coordinator) {
        this.stateDir = stateDir;
        this.egress = egress;
        this.coordinator = coordinator;
    }

    /**
     * Checks and stores the receipt of an accepted update. A missing or bad receipt is logged, not fatal: the
     * update is already in, and the egress log shows it was sent without a receipt.
     *
     * @return the stored file, relative to the state folder, or null when there was no valid receipt
     */
    public Path keep(String federationId, String site, int round, String updateSha256Hex, UploadReceipt r) {
        if (r.getSignedReceipt().isEmpty()) {
            log.warn("the coordinator accepted round {} update {} without a signed receipt (accepted before a "
                    + "coordinator restart?); the egress log shows it was sent", round, updateSha256Hex);
            return null;
        }
        SignedStatement signed = new SignedStatement(r.getSignedReceipt(),
                Base64.getEncoder().encodeToString(r.getReceiptSignature().toByteArray()));
        String problem = check(signed);
        Receipt receipt = null;
        if (problem == null) {
            try {
                receipt = Receipt.parse(signed.statement());
            } catch (IllegalArgumentException e) {
                problem = "unreadable receipt: " + e.getMessage();
            }
        }
        if (problem == null && (!receipt.site().equals(site) || receipt.round() != round
                || !receipt.updateSha256().equals(updateSha256Hex) || !receipt.federationId().equals(federationId))) {
            problem = "the receipt is for " + receipt.site() + " round " + receipt.round() + " update "
                    + receipt.updateSha256() + " of '" + receipt.federationId() + "', not for what was sent";
        }
        if (problem != null) {
            log.error("the coordinator's receipt for round {} update {} does not check: {}; it is not kept",
                    round, updateSha256Hex, problem);
            return null;
        }
        Path relative = Path.of("receipts", safe(federationId),
                "round-" + round + "-" + updateSha256Hex.substring(0, 12) + ".json");
        write(signed, relative);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("round", round);
        f.put("update_sha256", updateSha256Hex);
        f.put("log_seq", receipt.logSeq());
        f.put("log_record_sha256", receipt.logRecordSha256());
        f.put("receipt_file", relative.toString());
        egress.record(EgressSchema.RECEIPT_RECEIVED, f);
        return relative;
    }

    /** Checks and keeps a signed round-log head that came with a task, when it is newer than the one held. */
    public synchronized void keepHead(SignedLogHead head) {
        if (head.getStatement().isEmpty()) {
            return;
        }
        SignedStatement signed = new SignedStatement(head.getStatement(),
                Base64.getEncoder().encodeToString(head.getSignature().toByteArray()));
        String problem = check(signed);
        LogHead parsed = null;
        if (problem == null) {
            try {
                parsed = LogHead.parse(signed.statement());
            } catch (IllegalArgumentException e) {
                problem = "unreadable head: " + e.getMessage();
            }
        }
        if (problem != null) {
            log.error("the coordinator's signed log head does not check: {}; it is not kept", problem);
            return;
        }
        // a head of another federation (this state folder joined a new one) starts counting again
        boolean sameFederation = latestHead != null && latestHead.federationId().equals(parsed.federationId());
        if (sameFederation && parsed.records() <= headRecords) {
            return;
        }
        Path relative = Path.of("receipts", safe(parsed.federationId()), "log-head.json");
        write(signed, relative);
        headRecords = parsed.records();
        latestHead = parsed;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", parsed.federationId());
        f.put("records", parsed.records());
        f.put("last_sha256", parsed.lastSha256());
        f.put("head_file", relative.toString());
        f.put("statement", signed.statement());
        f.put("statement_sig", signed.sig());
        egress.record(EgressSchema.LOG_HEAD_RECEIVED, f);
    }

    /** The newest checked round-log head of {@code federationId} this agent received, if any. */
    public synchronized java.util.Optional<LogHead> latestHead(String federationId) {
        return latestHead != null && latestHead.federationId().equals(federationId)
                ? java.util.Optional.of(latestHead) : java.util.Optional.empty();
    }

    private String check(SignedStatement signed) {
        X509Certificate cert = coordinator.certificate().orElse(null);
        if (cert == null) {
            return "no coordinator certificate was seen in a handshake";
        }
        return signed.problem(cert.getPublicKey(), "the coordinator (" + cert.getSubjectX500Principal() + ")");
    }

    private void write(SignedStatement signed, Path relative) {
        Path file = stateDir.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            signed.write(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot keep the coordinator's signed statement in " + file
                    + ": " + e.getMessage() + "; check the state folder's disk", e);
        }
    }

    /** A federation id as a folder name: letters, digits, '-', '_' and '.' kept, anything else replaced. */
    static String safe(String federationId) {
        String s = federationId.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }

}
