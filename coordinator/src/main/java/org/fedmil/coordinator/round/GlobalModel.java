package org.fedmil.coordinator.round;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * One version of the global model: its weights and the SHA-256 of their wire form (float32 little-endian, the
 * tensors concatenated). The coordinator holds the weights once; the wire form is never kept whole but encoded
 * piece by piece wherever it is needed (a download's chunks, the saved file, the hash), since a second whole copy
 * of the model was the largest avoidable part of the coordinator's heap. The weights are never changed once a
 * model is made, so downloads may encode them while the next round aggregates.
 */
public final class GlobalModel {

    private final long version;
    private final ModelSpec spec;
    private final TensorSet weights;
    private final byte[] sha256;

    private GlobalModel(long version, ModelSpec spec, TensorSet weights, byte[] sha256) {
        this.version = version;
        this.spec = spec;
        this.weights = weights;
        this.sha256 = sha256;
    }

    public static GlobalModel of(long version, ModelSpec spec, TensorSet weights) {
        return new GlobalModel(version, spec, weights, sha256Of(weights));
    }

    public long version() {
        return version;
    }

    public ModelSpec spec() {
        return spec;
    }

    public TensorSet weights() {
        return weights;
    }

    public List<TensorSpec> specs() {
        return weights.specs();
    }

    /** The SHA-256 of the wire form. */
    public byte[] sha256() {
        return sha256.clone();
    }

    /** The size of the wire form. */
    public long byteSize() {
        return weights.byteSize();
    }

    /** The wire form as one new array: a whole copy of the model, for callers that need one (tests, small models). */
    public byte[] bytes() {
        return org.fedmil.tensor.TensorCodec.encode(weights);
    }

    /** Writes the wire form to {@code out} a chunk at a time, without a whole copy. */
    public void writeTo(OutputStream out) throws IOException {
        ModelChunks.writeTo(weights, out);
    }

    private static byte[] sha256Of(TensorSet weights) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestOutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
                ModelChunks.writeTo(weights, out);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
