package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.coordinator.aggregate.Strategies;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.aggregate.StrategyType;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md against the config records: every key the YAML files accept has a row, every row names a
 * key that exists, and every default the table states is the one the code applies.
 */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("../docs/configuration.md");
    private static final Pattern ROW = Pattern.compile("^\\| (`[^|]+) \\| ([^|]*) \\|");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** Documented key → its default cell, for the table under {@code heading}. */
    private static Map<String, String> table(String heading) throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("\n## " + heading);
        assertThat(start).as("a section '## " + heading + "' in " + DOC).isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : doc.substring(start, end < 0 ? doc.length() : end).split("\n")) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            String first = null;
            Matcher key = CODE.matcher(row.group(1));
            while (key.find()) {
                String k = key.group(1);
                if (k.startsWith(".")) {
                    // `policy.approved_model.architecture`, `.encoder`: siblings of the first key
                    k = first.substring(0, first.lastIndexOf('.')) + k;
                } else {
                    first = k;
                }
                rows.put(k, row.group(2).trim());
            }
        }
        return rows;
    }

    /** Every leaf key of a config record, with the value a file that leaves it out gets. */
    private static Map<String, Object> keys(Class<?> record) throws Exception {
        Map<String, Object> keys = new LinkedHashMap<>();
        collect(record, defaults(record), "", keys);
        return keys;
    }

    private static void collect(Class<?> type, Object value, String prefix, Map<String, Object> keys) throws Exception {
        for (RecordComponent c : type.getRecordComponents()) {
            String key = prefix + snake(c.getName());
            Object v = value == null ? null : c.getAccessor().invoke(value);
            if (c.getType() == StrategySettings.class) {
                // the strategy's own keys depend on strategy.name: each strategy's row of its own table has them
                keys.put(key + ".name", ((StrategySettings) v).name());
                keys.put(key + ".clip_norm", null);
                keys.put(key + ".max_site_share", StrategySettings.DEFAULT_MAX_SITE_SHARE);
                keys.put(key + ".max_norm_to_median", StrategySettings.DEFAULT_MAX_NORM_TO_MEDIAN);
            } else if (c.getType().isRecord()) {
                collect(c.getType(), v != null ? v : defaults(c.getType()), key + ".", keys);
            } else {
                keys.put(key, v);
            }
        }
    }

    /** The record as built from an empty YAML mapping: every component null, the compact constructor's defaults. */
    private static Object defaults(Class<?> record) throws Exception {
        RecordComponent[] cs = record.getRecordComponents();
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            types[i] = cs[i].getType();
        }
        return record.getDeclaredConstructor(types).newInstance(new Object[cs.length]);
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
    }

    @Test
    void everyCoordinatorKeyIsDocumentedWithItsDefault() throws Exception {
        checkTable("coordinator.yaml", CoordinatorConfig.class);
    }

    @Test
    void everySiteKeyIsDocumentedWithItsDefault() throws Exception {
        checkTable("site.yaml", SiteConfig.class);
    }

    private static void checkTable(String heading, Class<?> record) throws Exception {
        Map<String, String> documented = table(heading);
        Map<String, Object> keys = keys(record);

        assertThat(documented.keySet()).as("rows of the %s table in %s", heading, DOC)
                .containsExactlyInAnyOrderElementsOf(keys.keySet());
        List<String> wrong = new ArrayList<>();
        keys.forEach((key, value) -> {
            String cell = documented.get(key);
            Matcher code = CODE.matcher(cell);
            if (value == null || !cell.startsWith("`") || !code.find()) {
                return; // required, none, "— (required for cnn)", or derived from another key ("= `min_sites`")
            }
            if (!same(value, code.group(1))) {
                wrong.add(key + ": documented `" + code.group(1) + "`, the code's default is " + value);
            }
        });
        assertThat(wrong).as("defaults in the %s table that differ from the code", heading).isEmpty();
    }

    /**
     * The Aggregation strategies table: one row per registered strategy (a row may name several), listing every
     * key of the strategy's parameter record as {@code `key` = `default`} with the default the code applies.
     */
    @Test
    void everyStrategyHasARowListingItsKeysWithTheirDefaults() throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("\n## Aggregation strategies");
        assertThat(start).as("a section '## Aggregation strategies' in " + DOC).isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        Pattern keyDefault = Pattern.compile("`([a-z0-9_]+)` = `([^`]+)`");
        Map<String, Map<String, String>> documented = new LinkedHashMap<>();
        for (String line : doc.substring(start, end < 0 ? doc.length() : end).split("\n")) {
            Matcher m = ROW.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> keys = new LinkedHashMap<>();
            Matcher kd = keyDefault.matcher(m.group(2));
            while (kd.find()) {
                keys.put(kd.group(1), kd.group(2));
            }
            Matcher name = CODE.matcher(m.group(1));
            while (name.find()) {
                documented.put(name.group(1), keys);
            }
        }
        assertThat(documented.keySet()).as("strategy rows in %s", DOC)
                .containsExactlyInAnyOrderElementsOf(Strategies.names());
        List<String> wrong = new ArrayList<>();
        for (StrategyType<?> type : Strategies.types()) {
            Map<String, Object> defaults = StrategySettings.defaults(type);
            Map<String, String> row = documented.get(type.name());
            if (!row.keySet().equals(defaults.keySet())) {
                wrong.add(type.name() + ": documented keys " + row.keySet() + ", the code's " + defaults.keySet());
                continue;
            }
            defaults.forEach((key, value) -> {
                if (!same(value, row.get(key))) {
                    wrong.add(type.name() + "." + key + ": documented `" + row.get(key) + "`, the code's default is "
                            + value);
                }
            });
        }
        assertThat(wrong).as("strategy keys and defaults in %s that differ from the code", DOC).isEmpty();
    }

    private static boolean same(Object value, String documented) {
        if (value instanceof Number n) {
            try {
                return n.doubleValue() == Double.parseDouble(documented);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return value.toString().equals(documented);
    }
}
