package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code strategy:} section of coordinator.yaml (every key documented in docs/configuration.md), also parsed
 * from the benchmark's {@code name:key=value:…} form. A key that does not apply to the chosen strategy is refused
 * rather than silently ignored. Build the strategy with {@link #create()}.
 *
 * @param name               fedavg (default), fedprox, fedadam, fedyogi, median or trimmed_mean
 * @param mu                 fedprox: proximal weight μ sent to the sites (default 0.01)
 * @param serverLearningRate fedadam/fedyogi: η (default 0.01)
 * @param beta1              fedadam/fedyogi: β₁ (default 0.9)
 * @param beta2              fedadam/fedyogi: β₂ (default 0.99)
 * @param tau                fedadam/fedyogi: τ, the adaptivity (default 0.001)
 * @param trimFraction       trimmed_mean: β, fraction dropped at each end per coordinate (default 0.2)
 * @param clipNorm           any strategy: clip every update's delta to this L2 norm first (default: no clipping)
 * @param maxBufferedUpdates median/trimmed_mean: most updates one round holds in memory (default 100)
 */
public record StrategyConfig(String name, Double mu, Double serverLearningRate, Double beta1, Double beta2,
                             Double tau, Double trimFraction, Double clipNorm, Integer maxBufferedUpdates) {

    public static final StrategyConfig FEDAVG = new StrategyConfig(null, null, null, null, null, null, null, null, null);

    public static final List<String> NAMES = List.of("fedavg", "fedprox", "fedadam", "fedyogi", "median",
            "trimmed_mean");

    public StrategyConfig {
        name = name == null ? "fedavg" : name;
    }

    private boolean is(String... names) {
        return List.of(names).contains(name);
    }

    /** Every problem with these values, each naming its key (prefixed with {@code strategy.}); empty if none. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (!NAMES.contains(name)) {
            p.add("key 'strategy.name' is " + name + ", expected one of " + String.join(", ", NAMES));
            return p;
        }
        onlyFor(p, "mu", mu, "fedprox");
        onlyFor(p, "server_learning_rate", serverLearningRate, "fedadam", "fedyogi");
        onlyFor(p, "beta1", beta1, "fedadam", "fedyogi");
        onlyFor(p, "beta2", beta2, "fedadam", "fedyogi");
        onlyFor(p, "tau", tau, "fedadam", "fedyogi");
        onlyFor(p, "trim_fraction", trimFraction, "trimmed_mean");
        onlyFor(p, "max_buffered_updates", maxBufferedUpdates, "median", "trimmed_mean");
        if (mu != null && !(mu > 0 && Double.isFinite(mu))) {
            p.add("key 'strategy.mu' is " + mu + ", expected a positive number (fedavg is fedprox with mu 0)");
        }
        if (serverLearningRate != null && !(serverLearningRate > 0 && Double.isFinite(serverLearningRate))) {
            p.add("key 'strategy.server_learning_rate' is " + serverLearningRate + ", expected a positive number");
        }
        if (beta1 != null && !(beta1 >= 0 && beta1 < 1)) {
            p.add("key 'strategy.beta1' is " + beta1 + ", expected a number in [0, 1)");
        }
        if (beta2 != null && !(beta2 >= 0 && beta2 < 1)) {
            p.add("key 'strategy.beta2' is " + beta2 + ", expected a number in [0, 1)");
        }
        if (tau != null && !(tau > 0 && Double.isFinite(tau))) {
            p.add("key 'strategy.tau' is " + tau + ", expected a positive number");
        }
        if (trimFraction != null && !(trimFraction >= 0 && trimFraction < 0.5)) {
            p.add("key 'strategy.trim_fraction' is " + trimFraction + ", expected a number in [0, 0.5)");
        }
        if (clipNorm != null && !(clipNorm > 0 && Double.isFinite(clipNorm))) {
            p.add("key 'strategy.clip_norm' is " + clipNorm + ", expected a positive number (an L2 norm)");
        }
        if (maxBufferedUpdates != null && maxBufferedUpdates < 1) {
            p.add("key 'strategy.max_buffered_updates' is " + maxBufferedUpdates + ", expected at least 1");
        }
        return p;
    }

    private void onlyFor(List<String> p, String key, Object value, String... names) {
        if (value != null && !is(names)) {
            p.add("key 'strategy." + key + "' does not apply to strategy " + name + " (only to "
                    + String.join(", ", names) + ")");
        }
    }

    /** Whether the strategy buffers a round's updates (median, trimmed_mean). */
    public boolean buffering() {
        return is("median", "trimmed_mean");
    }

    public int maxBufferedUpdatesOrDefault() {
        return maxBufferedUpdates == null ? 100 : maxBufferedUpdates;
    }

    /** The strategy these values describe; throws IllegalArgumentException naming the first bad key. */
    public Strategy create() {
        List<String> p = problems();
        if (!p.isEmpty()) {
            throw new IllegalArgumentException(p.get(0));
        }
        Strategy s = switch (name) {
            case "fedavg" -> new FedAvgStrategy();
            case "fedprox" -> new FedAvgStrategy(mu == null ? 0.01 : mu);
            case "fedadam", "fedyogi" -> new FedOpt(name.equals("fedadam") ? FedOpt.Kind.ADAM : FedOpt.Kind.YOGI,
                    or(serverLearningRate, 0.01), or(beta1, 0.9), or(beta2, 0.99), or(tau, 1e-3));
            case "median" -> RobustStrategy.median(maxBufferedUpdatesOrDefault());
            case "trimmed_mean" -> RobustStrategy.trimmedMean(or(trimFraction, 0.2), maxBufferedUpdatesOrDefault());
            default -> throw new IllegalStateException(name);
        };
        return clipNorm == null ? s : new ClippedStrategy(s, clipNorm);
    }

    private static double or(Double v, double d) {
        return v == null ? d : v;
    }

    /**
     * The benchmark's form: {@code name[:key=value]…} with the configuration keys, and the short forms lr
     * (server_learning_rate), beta (trim_fraction), clip (clip_norm); e.g. {@code fedprox:mu=0.01},
     * {@code fedadam:lr=0.003}, {@code fedavg:clip=1.5}.
     */
    public static StrategyConfig parse(String text) {
        String[] parts = text.trim().split(":");
        String n = parts[0].toLowerCase(Locale.ROOT);
        Double mu = null, lr = null, b1 = null, b2 = null, tau = null, trim = null, clip = null;
        Integer max = null;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("strategy '" + text + "': expected key=value, got '" + parts[i] + "'");
            }
            String v = kv[1];
            switch (kv[0]) {
                case "mu" -> mu = Double.parseDouble(v);
                case "lr", "server_learning_rate" -> lr = Double.parseDouble(v);
                case "beta1" -> b1 = Double.parseDouble(v);
                case "beta2" -> b2 = Double.parseDouble(v);
                case "tau" -> tau = Double.parseDouble(v);
                case "beta", "trim_fraction" -> trim = Double.parseDouble(v);
                case "clip", "clip_norm" -> clip = Double.parseDouble(v);
                case "max_buffered_updates" -> max = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("strategy '" + text + "': unknown key '" + kv[0] + "'");
            }
        }
        StrategyConfig c = new StrategyConfig(n, mu, lr, b1, b2, tau, trim, clip, max);
        List<String> p = c.problems();
        if (!p.isEmpty()) {
            throw new IllegalArgumentException("strategy '" + text + "': " + p.get(0));
        }
        return c;
    }
}
