package org.fedmil.coordinator.round;

import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;

/**
 * One version of the global model together with its wire bytes and their SHA-256, computed once so every
 * download of it is a copy-free read.
 */
public record GlobalModel(long version, ModelSpec spec, TensorSet weights, byte[] bytes, byte[] sha256) {

    public static GlobalModel of(long version, ModelSpec spec, TensorSet weights) {
        byte[] bytes = TensorCodec.encode(weights);
        return new GlobalModel(version, spec, weights, bytes, Sha256.of(bytes));
    }
}
