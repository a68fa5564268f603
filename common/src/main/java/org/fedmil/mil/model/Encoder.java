package org.fedmil.mil.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How each instance is turned into an embedding before pooling. */
public enum Encoder {
    /** Linear(input_dim → hidden_dim) + ReLU, for bags of pre-extracted feature vectors (.npy). */
    MLP("mlp"),
    /** A small two-block CNN over image tiles of channels × tile_size × tile_size. */
    CNN("cnn");

    private final String configName;

    Encoder(String configName) {
        this.configName = configName;
    }

    /** The name used in configs and on the wire. */
    public String configName() {
        return configName;
    }

    public static Encoder fromConfigName(String name) {
        String n = name == null || name.isBlank() ? "mlp" : name.trim().toLowerCase(Locale.ROOT);
        for (Encoder e : values()) {
            if (e.configName.equals(n)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown instance encoder '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Encoder::configName).collect(Collectors.joining(", ")));
    }
}
