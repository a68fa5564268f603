package org.fedmil.audit;

import java.util.List;
import java.util.Map;

/**
 * A site's egress log: every message the site agent hands to its channel to the coordinator, described before it
 * goes (write-ahead), plus the receipts and log heads the coordinator gave back. Signed with the site's own key and
 * hash-chained like the round log, so {@code fedmil audit verify} checks it the same way and
 * {@code fedmil audit crosscheck} can hold it against the coordinator's round log.
 */
public final class EgressSchema implements LogSchema {

    public static final EgressSchema EGRESS_LOG = new EgressSchema();

    /** The first record: the log was created by this site, whose certificate signs it. */
    public static final String EGRESS_LOG_OPENED = "egress_log_opened";
    /** The agent started again on an existing log; carries the (possibly renewed) certificate it signs with. */
    public static final String AGENT_STARTED = "agent_started";
    /** One message handed to the channel: which RPC, to which coordinator, its size and hash, what it says. */
    public static final String SENT = "sent";
    /** An upload stream ended: which bytes of the delta it carried and whether the coordinator took it. */
    public static final String UPLOAD_STREAM_ENDED = "upload_stream_ended";
    /** The coordinator's signed receipt for an accepted update, stored under receipts/. */
    public static final String RECEIPT_RECEIVED = "receipt_received";
    /** A signed head of the coordinator's round log, received with a task. */
    public static final String LOG_HEAD_RECEIVED = "log_head_received";
    /**
     * The site refused to reveal unmasking shares (the coordinator's survivor sets disagreed, or too few sites signed
     * the one it was told): which round, and why.
     */
    public static final String UNMASK_REFUSED = "unmask_refused";
    /** The site's privacy policy stopped the agent before it sent something. */
    public static final String POLICY_STOPPED = "policy_stopped";

    private static final Map<String, List<String>> REQUIRED = Map.ofEntries(
            Map.entry(EGRESS_LOG_OPENED, List.of("site", RecordSchema.CERT)),
            Map.entry(AGENT_STARTED, List.of("site", RecordSchema.CERT)),
            Map.entry(SENT, List.of("rpc", "coordinator", "coordinator_fingerprint", "message_bytes",
                    "message_sha256")),
            Map.entry(UPLOAD_STREAM_ENDED, List.of("round", "update_sha256", "from_offset", "data_bytes",
                    "outcome")),
            Map.entry(RECEIPT_RECEIVED, List.of("round", "update_sha256", "log_seq", "log_record_sha256",
                    "receipt_file")),
            Map.entry(LOG_HEAD_RECEIVED, List.of("federation_id", "records", "last_sha256", "head_file")),
            Map.entry(POLICY_STOPPED, List.of("rule", "reason")),
            Map.entry(UNMASK_REFUSED, List.of("round", "reason")));

    private EgressSchema() {
    }

    @Override
    public String name() {
        return "egress log";
    }

    @Override
    public String firstType() {
        return EGRESS_LOG_OPENED;
    }

    @Override
    public List<String> required(String type) {
        return REQUIRED.get(type);
    }

    @Override
    public boolean introducesKey(String type) {
        return EGRESS_LOG_OPENED.equals(type) || AGENT_STARTED.equals(type);
    }

    @Override
    public String signerKeyUsage() {
        return "1.3.6.1.5.5.7.3.2";
    }

    @Override
    public String signer() {
        return "site";
    }
}
