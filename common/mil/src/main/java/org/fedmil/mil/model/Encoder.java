package org.fedmil.mil.model;

import org.fedmil.config.ConfigName;

/** How each instance is turned into an embedding before pooling. */
public enum Encoder implements ConfigName {
    /** Linear(input_dim → hidden_dim) + ReLU, for bags of pre-extracted feature vectors (.npy). */
    MLP("mlp"),
    /** A small two-block CNN over image tiles of channels × tile_size × tile_size. */
    CNN("cnn");

    private final String configName;

    Encoder(String configName) {
        this.configName = configName;
    }

    @Override
    public String configName() {
        return configName;
    }

    /** The encoder named in a config; an empty name means {@link #MLP}, the encoder of feature bags. */
    public static Encoder fromConfigName(String name) {
        return ConfigName.parse(Encoder.class, name, MLP, "instance encoder");
    }
}
