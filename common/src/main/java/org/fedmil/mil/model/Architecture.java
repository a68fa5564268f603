package org.fedmil.mil.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a bag's instance embeddings are pooled into one bag embedding. */
public enum Architecture {
    /** Attention pooling of Ilse et al. 2018: a = softmax(wᵀ tanh(V h)). */
    ATTENTION("attention"),
    /** Gated attention of Ilse et al. 2018: a = softmax(wᵀ (tanh(V h) ⊙ sigm(U h))). */
    GATED_ATTENTION("gated_attention"),
    /** Mean of the instance embeddings. */
    MEAN("mean"),
    /** Element-wise max of the instance embeddings. */
    MAX("max");

    private final String configName;

    Architecture(String configName) {
        this.configName = configName;
    }

    /** The name used in configs and on the wire. */
    public String configName() {
        return configName;
    }

    public static Architecture fromConfigName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Architecture a : values()) {
            if (a.configName.equals(n)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown MIL architecture '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Architecture::configName).collect(Collectors.joining(", ")));
    }
}
