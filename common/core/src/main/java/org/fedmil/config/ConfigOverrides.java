package org.fedmil.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command-line values that replace keys of a YAML config file. They are applied to the parsed YAML tree before the
 * config record is built, so a flag goes through exactly the checks a file value does, and a default that depends
 * on another key (min_updates = min_sites) follows the flag too.
 */
public final class ConfigOverrides {

    /** A replaced key and the flag that replaced it, so an error can say where the value came from. */
    private record Override(Object value, String flag) {
    }

    private final Map<String, Override> byKey = new LinkedHashMap<>();

    public static ConfigOverrides none() {
        return new ConfigOverrides();
    }

    /** Sets the dotted {@code key} (e.g. {@code listen.port}) to {@code value} when it is not null. */
    public ConfigOverrides set(String key, Object value, String flag) {
        if (value != null) {
            // a path typed on the command line is relative to where it was typed, not to the config file's folder
            Object v = value instanceof Path p ? p.toAbsolutePath().normalize().toString() : value;
            byKey.put(key, new Override(v, flag));
        }
        return this;
    }

    public boolean isEmpty() {
        return byKey.isEmpty();
    }

    public Map<String, Object> values() {
        Map<String, Object> m = new LinkedHashMap<>();
        byKey.forEach((k, o) -> m.put(k, o.value()));
        return Collections.unmodifiableMap(m);
    }

    void applyTo(ObjectNode root) {
        byKey.forEach((key, o) -> {
            String[] parts = key.split("\\.");
            ObjectNode node = root;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = node.get(parts[i]);
                node = child instanceof ObjectNode obj ? obj : node.putObject(parts[i]);
            }
            node.set(parts[parts.length - 1], node(root, o.value()));
        });
    }

    /** The YAML node a flag's value would have been, had it been written in the file. */
    private static JsonNode node(ObjectNode factory, Object value) {
        if (value instanceof Integer i) {
            return factory.numberNode(i);
        }
        if (value instanceof Long l) {
            return factory.numberNode(l);
        }
        if (value instanceof Double d) {
            return factory.numberNode(d);
        }
        if (value instanceof Boolean b) {
            return factory.booleanNode(b);
        }
        return factory.textNode(value.toString());
    }

    /**
     * {@code e} with the flag named when the key it complains about was set by one: the file does not hold the
     * value the message quotes, so the reader must be told to look at the command line instead.
     */
    public ConfigException explain(ConfigException e) {
        for (Map.Entry<String, Override> entry : byKey.entrySet()) {
            if (e.getMessage().contains("key '" + entry.getKey() + "'")) {
                return new ConfigException(e.getMessage() + " (the value was given by " + entry.getValue().flag()
                        + " on the command line)", e);
            }
        }
        return e;
    }
}
