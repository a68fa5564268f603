package org.fedmil.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fact one party signs for others to check later: an update a site sent, a receipt the coordinator gave, the
 * head of the round log. Its signed form is canonical JSON (keys sorted, no spaces) with a {@code kind} naming the
 * statement type and version, so a signature over one kind can never be passed off as another.
 */
public interface Statement {

    /** Sorted keys, no whitespace: the same fields always give the same bytes. */
    ObjectMapper CANONICAL = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** e.g. {@code fedmil.update.v1} */
    String kind();

    /** The statement's fields, without {@code kind}. */
    Map<String, Object> fields();

    /** The exact text that is signed. */
    default String canonicalJson() {
        Map<String, Object> all = new TreeMap<>(fields());
        all.put("kind", kind());
        try {
            return CANONICAL.writeValueAsString(all);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("statement " + kind() + " is not serialisable: " + e.getMessage(), e);
        }
    }

    default byte[] canonicalBytes() {
        return canonicalJson().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses canonical JSON back into its fields, refusing text of another kind. */
    static Map<String, Object> parse(String json, String expectedKind) {
        Map<String, Object> map;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = CANONICAL.readValue(json, Map.class);
            map = m;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON statement: " + e.getOriginalMessage(), e);
        }
        if (!expectedKind.equals(map.get("kind"))) {
            throw new IllegalArgumentException("statement of kind '" + map.get("kind") + "', expected '"
                    + expectedKind + "'");
        }
        return map;
    }

    static String text(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("statement field '" + key + "' is missing or not text");
        }
        return s;
    }

    static long number(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("statement field '" + key + "' is missing or not a whole number");
        }
        return n.longValue();
    }

    static double real(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("statement field '" + key + "' is missing or not a number");
        }
        return n.doubleValue();
    }
}
