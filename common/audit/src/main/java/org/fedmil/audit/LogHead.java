package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The round log's head as the coordinator signs and publishes it after every round: how many records the log
 * holds and the hash of the last. A hash chain alone cannot show that its newest records were cut off; a head
 * held by anyone else (every site receives one with its tasks) can: the log must hold record {@code records} with
 * that hash.
 */
public record LogHead(String federationId, long records, String lastSha256, String time) implements Statement {

    public static final String KIND = "fedmil.log_head.v1";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", federationId);
        f.put("records", records);
        f.put("last_sha256", lastSha256);
        f.put("time", time);
        return f;
    }

    public static LogHead parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        return new LogHead(Statement.text(m, "federation_id"), Statement.number(m, "records"),
                Statement.text(m, "last_sha256"), Statement.text(m, "time"));
    }
}
