package org.fedmil.mil.model;

import ai.djl.nn.Parameter;

/**
 * A DJL parameter under the name it travels by, and how a fresh model fills it. DJL's own parameter ids embed
 * block counters that depend on construction order, so every party would see different names for the same
 * tensor.
 */
record NamedParameter(String name, Parameter parameter, Init init) {

    enum Init {
        /** Uniform in ±sqrt(6 / (fan_in + fan_out)), Glorot and Bengio 2010. */
        GLOROT_UNIFORM,
        ZEROS,
        /** Kept as loaded: a pretrained encoder's parameter. */
        PRETRAINED
    }

    NamedParameter startingAtZero() {
        return new NamedParameter(name, parameter, Init.ZEROS);
    }
}
