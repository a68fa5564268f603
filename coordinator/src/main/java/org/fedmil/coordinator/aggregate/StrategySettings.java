package org.fedmil.coordinator.aggregate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code strategy:} section of coordinator.yaml (every key documented in docs/configuration.md), also parsed
 * from the benchmark's {@code name:key=value:…} form: the strategy's name, {@code clip_norm} (any strategy), and
 * the keys of the chosen strategy, which {@link #create()} binds to that strategy's parameter record with Jackson.
 * A key the chosen strategy does not take, or a value of the wrong type or out of range, is refused naming the key
 * {@code strategy.<key>}, what was expected, and what to do.
 *
 * @param name fedavg if not given; one of {@link Strategies#names()}
 * @param keys every other key of the section, as read
 */
public record StrategySettings(String name, Map<String, Object> keys) {

    public static final StrategySettings FEDAVG = new StrategySettings(null, Map.of());

    private static final String CLIP_NORM = "clip_norm";
    /** Round rules rather than strategy parameters: they bound each site's influence whatever the strategy. */
    private static final String MAX_SITE_SHARE = "max_site_share";
    /** max_site_share's default: no site more than half of a round's weight. */
    public static final double DEFAULT_MAX_SITE_SHARE = 0.5;
    /** max_norm_to_median's default. */
    public static final double DEFAULT_MAX_NORM_TO_MEDIAN = 10;
    private static final String MAX_NORM_TO_MEDIAN = "max_norm_to_median";
    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    private static final ObjectMapper BINDER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    public StrategySettings {
        name = name == null ? "fedavg" : name;
        keys = keys == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /** The section as Jackson reads it from YAML. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static StrategySettings fromSection(Map<String, Object> section) {
        Map<String, Object> rest = new LinkedHashMap<>(section);
        Object n = rest.remove("name");
        return new StrategySettings(n == null ? null : String.valueOf(n), rest);
    }

    /**
     * The benchmark's form: {@code name[:key=value]…} with the configuration keys, and the short forms lr
     * (server_learning_rate), beta (trim_fraction), clip (clip_norm); e.g. {@code fedprox:mu=0.01},
     * {@code fedadam:lr=0.003}, {@code fedavg:clip=1.5}. Checked as the configuration is.
     */
    public static StrategySettings parse(String text) {
        String[] parts = text.trim().split(":");
        Map<String, Object> keys = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("strategy '" + text + "': expected key=value, got '" + parts[i] + "'");
            }
            String key = switch (kv[0]) {
                case "lr" -> "server_learning_rate";
                case "beta" -> "trim_fraction";
                case "clip" -> CLIP_NORM;
                default -> kv[0];
            };
            keys.put(key, kv[1]);
        }
        StrategySettings s = new StrategySettings(parts[0].toLowerCase(Locale.ROOT), keys);
        try {
            s.create();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("strategy '" + text + "': " + e.getMessage(), e);
        }
        return s;
    }

    /** Whether {@code clip_norm} is set: every update is clipped at the coordinator. */
    public boolean clipped() {
        return keys.containsKey(CLIP_NORM);
    }

    /**
     * The strategy these settings describe, clipped if {@code clip_norm} is set. Throws IllegalArgumentException
     * naming the first bad key.
     */
    public Strategy create() {
        StrategyType<?> type = Strategies.type(name).orElseThrow(() -> new IllegalArgumentException(
                "key 'strategy.name' is " + name + ", expected one of " + String.join(", ", Strategies.names())));
        Map<String, Object> own = new LinkedHashMap<>(keys);
        Object clip = own.remove(CLIP_NORM);
        own.remove(MAX_SITE_SHARE);
        own.remove(MAX_NORM_TO_MEDIAN);
        maxSiteShare();
        maxNormToMedian();
        Strategy s = type.create(bind(type, own));
        return clip == null ? s : new ClippedStrategy(s, clipNorm(clip));
    }

    private Object bind(StrategyType<?> type, Map<String, Object> own) {
        try {
            return BINDER.convertValue(own, type.params());
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonMappingException m) {
                throw new IllegalArgumentException(problem(type, m), e);
            }
            throw e;
        }
    }

    private String problem(StrategyType<?> type, JsonMappingException e) {
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException range) {
            return range.getMessage(); // ParamRules: key, value, expected
        }
        String key = e.getPath().isEmpty() ? "?" : e.getPath().get(0).getFieldName();
        if (e instanceof UnrecognizedPropertyException) {
            List<String> takers = Strategies.types().stream().filter(t -> keysOf(t).contains(key))
                    .map(StrategyType::name).toList();
            if (!takers.isEmpty()) {
                return "key 'strategy." + key + "' does not apply to strategy " + name + " (only to "
                        + String.join(", ", takers) + "); remove it, or choose a strategy that takes it";
            }
            List<String> own = new ArrayList<>(keysOf(type));
            own.addAll(List.of(CLIP_NORM, MAX_SITE_SHARE, MAX_NORM_TO_MEDIAN));
            return "key 'strategy." + key + "' is not a strategy key; strategy " + name + " takes: name, "
                    + String.join(", ", own) + " (docs/configuration.md, section strategy)";
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return "key 'strategy." + key + "' is " + keys.get(key) + ", expected "
                    + expected(mismatch.getTargetType());
        }
        return "key 'strategy." + key + "': " + e.getOriginalMessage();
    }

    private static String expected(Class<?> target) {
        if (target == Integer.class || target == int.class || target == Long.class || target == long.class) {
            return "a whole number";
        }
        if (target == Double.class || target == double.class) {
            return "a number";
        }
        return target.getSimpleName();
    }

    /** A strategy's own keys (snake_case) with the values a section that leaves them out gets. */
    public static Map<String, Object> defaults(StrategyType<?> type) {
        Object bound = BINDER.convertValue(Map.of(), type.params());
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : type.params().getRecordComponents()) {
            try {
                out.put(SNAKE.translate(c.getName()), c.getAccessor().invoke(bound));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + c + " of " + type.params().getName(), e);
            }
        }
        return out;
    }

    /** The configuration keys of a strategy's parameter record, snake_case. */
    static List<String> keysOf(StrategyType<?> type) {
        RecordComponent[] components = type.params().getRecordComponents();
        return components == null ? List.of()
                : Arrays.stream(components).map(c -> SNAKE.translate(c.getName())).toList();
    }

    /**
     * {@code max_site_share}: the largest share of a round's total FedAvg weight one site may have, in (0, 1]
     * (default ½; 1 turns the cap off).
     */
    public double maxSiteShare() {
        Object v = keys.get(MAX_SITE_SHARE);
        double s = v == null ? DEFAULT_MAX_SITE_SHARE : number(v);
        if (!(s > 0 && s <= 1)) {
            throw new IllegalArgumentException("key 'strategy.max_site_share' is " + v + ", expected a number in "
                    + "(0, 1]: the largest share of a round's total weight one site may have (1: no cap)");
        }
        return s;
    }

    /**
     * {@code max_norm_to_median}: m, a delta whose norm exceeds m × the previous round's median norm is refused
     * (default 10; 0 turns it off).
     */
    public double maxNormToMedian() {
        Object v = keys.get(MAX_NORM_TO_MEDIAN);
        double m = v == null ? DEFAULT_MAX_NORM_TO_MEDIAN : number(v);
        if (!(m == 0 || m >= 1) || !Double.isFinite(m)) {
            throw new IllegalArgumentException("key 'strategy.max_norm_to_median' is " + v + ", expected 0 (off) or "
                    + "a number of at least 1: how many times the previous round's median norm an update may have");
        }
        return m;
    }

    private static double number(Object value) {
        try {
            return value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static double clipNorm(Object value) {
        double c;
        try {
            c = value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value));
        } catch (NumberFormatException e) {
            c = Double.NaN;
        }
        if (!(c > 0 && Double.isFinite(c))) {
            throw new IllegalArgumentException("key 'strategy.clip_norm' is " + value
                    + ", expected a positive number (an L2 norm)");
        }
        return c;
    }
}
