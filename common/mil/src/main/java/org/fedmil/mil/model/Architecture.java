package org.fedmil.mil.model;

import org.fedmil.config.ConfigName;

/** How a bag's instance embeddings are pooled into one bag embedding. */
public enum Architecture implements ConfigName {
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

    @Override
    public String configName() {
        return configName;
    }

    public static Architecture fromConfigName(String name) {
        return ConfigName.parse(Architecture.class, name, null, "MIL architecture");
    }
}
