package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the coordinator signs for a site when it accepts its update: the update's hash, when, and where the
 * acceptance sits in the round log ({@code logSeq}, and {@code logRecordSha256}, the hash of that record, i.e. the
 * log's head at that moment). A site that keeps its receipts can later show that the coordinator's log once held
 * that record, so a log cut short or rewritten after the fact is caught.
 */
public record Receipt(String federationId, String site, int round, String updateSha256, String time, long logSeq,
                      String logRecordSha256) implements Statement {

    public static final String KIND = "fedmil.receipt.v1";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", federationId);
        f.put("site", site);
        f.put("round", round);
        f.put("update_sha256", updateSha256);
        f.put("time", time);
        f.put("log_seq", logSeq);
        f.put("log_record_sha256", logRecordSha256);
        return f;
    }

    public static Receipt parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        return new Receipt(Statement.text(m, "federation_id"), Statement.text(m, "site"),
                (int) Statement.number(m, "round"), Statement.text(m, "update_sha256"), Statement.text(m, "time"),
                Statement.number(m, "log_seq"), Statement.text(m, "log_record_sha256"));
    }
}
