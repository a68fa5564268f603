package org.fedmil.mil.model;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.AtomicFileOutput;
import org.fedmil.util.Sha256;

/**
 * A {@link ModelFile} written while its tensor bytes arrive (a site saving the global model it downloads): the bytes
 * on the wire are the file's tensor section as they are, so they go to the file as they come instead of being
 * encoded again from the decoded model afterwards. The header carries the SHA-256 announced for the model; the file
 * replaces the old one only at {@link #commit}, once every byte arrived and hashed to it, so a torn or corrupt
 * download leaves the old file in place.
 */
public final class ModelFileWriter implements AutoCloseable {

    private final Path file;
    private final ModelSpec spec;
    private final List<TensorSpec> tensors;
    private final byte[] sha256;
    private final Map<String, String> metadata;
    private final long tensorBytes;
    private final MessageDigest digest = Sha256.newDigest();
    private final AtomicFileOutput out;
    private long received;

    private ModelFileWriter(Path file, ModelSpec spec, List<TensorSpec> tensors, byte[] sha256,
                            Map<String, String> metadata, AtomicFileOutput out) {
        this.file = file;
        this.spec = spec;
        this.tensors = List.copyOf(tensors);
        this.sha256 = sha256.clone();
        this.metadata = metadata;
        this.tensorBytes = TensorCodec.byteSize(tensors);
        this.out = out;
    }

    /**
     * Starts the file: its header, for tensors {@code tensors} whose bytes will hash to {@code sha256}.
     *
     * @throws UncheckedIOException when the file cannot be created
     */
    public static ModelFileWriter open(Path file, ModelSpec spec, List<TensorSpec> tensors, byte[] sha256,
                                       Map<String, String> metadata) {
        byte[] header = ModelFile.header(spec, tensors, Sha256.hex(sha256), metadata);
        AtomicFileOutput out = null;
        try {
            out = AtomicFileOutput.open(file);
            DataOutputStream data = new DataOutputStream(out.stream());
            ModelFile.writePrefix(data, header);
            data.flush();
            return new ModelFileWriter(file, spec, tensors, sha256, metadata, out);
        } catch (IOException e) {
            if (out != null) {
                out.close();
            }
            throw new UncheckedIOException(ModelFile.cannotWrite(file, e), e);
        }
    }

    /**
     * Appends tensor bytes (from the buffer's position to its limit; the position is left at the limit).
     *
     * @throws IllegalArgumentException beyond the tensors' bytes
     * @throws UncheckedIOException     when the write fails
     */
    public void write(ByteBuffer bytes) {
        if (received + bytes.remaining() > tensorBytes) {
            throw new IllegalArgumentException("more than the " + tensorBytes + " tensor bytes of " + file);
        }
        received += bytes.remaining();
        digest.update(bytes.duplicate());
        try {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(ModelFile.cannotWrite(file, e), e);
        }
    }

    /**
     * Puts the file in place of the old one, after checking that every tensor byte arrived, that they hash to the
     * announced SHA-256 and that {@code weights} (the same bytes, decoded) are a model of the spec.
     *
     * @throws IllegalStateException    when bytes are missing or their hash differs (the old file stays)
     * @throws IllegalArgumentException when the weights do not fit the spec (the old file stays)
     * @throws UncheckedIOException     when the file cannot be made durable or renamed
     */
    public void commit(TensorSet weights) {
        try {
            if (received != tensorBytes) {
                throw new IllegalStateException(file + ": only " + received + " of " + tensorBytes
                        + " tensor bytes were written");
            }
            byte[] actual = digest.digest();
            if (!MessageDigest.isEqual(actual, sha256)) {
                throw new IllegalStateException(file + ": the tensor bytes hash to " + Sha256.hex(actual)
                        + ", not the announced " + Sha256.hex(sha256));
            }
            if (!weights.specs().equals(tensors)) {
                throw new IllegalArgumentException("the weights' tensors " + weights.specs()
                        + " are not the file's " + tensors);
            }
            ModelFile.requireFits(spec, weights, metadata);
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(ModelFile.cannotWrite(file, e), e);
        } finally {
            out.close();
        }
    }

    /** Without a commit: leaves the old file as it was. */
    @Override
    public void close() {
        out.close();
    }
}
