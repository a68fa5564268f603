package org.fedmil.site.train;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;

/**
 * The global weights a training round starts from. They are used twice: loaded into the engine's model, and then
 * subtracted from the trained weights to form the delta. Held in memory between the two, they are one more model
 * copy all through training, beside the engine's weights, gradients and two Adam moments. When the state folder's
 * model file holds exactly this model (its tensor section is the download's bytes, hashing to the announced
 * SHA-256), the copy in memory is let go once it is loaded, and the delta is formed tensor by tensor against the
 * file, which is hashed again on the way so that a file changed meanwhile cannot give a wrong delta.
 *
 * <p>Either way the delta is formed in the trained weights' own arrays, one tensor at a time (trained − global,
 * the same float subtraction as {@link TensorSet#minus}), not as a full copy of the trained weights and then a
 * third array.
 */
public final class StartingWeights {

    /** Bytes read from the file per call: within the JDK's cached temporary direct buffer (launcher: 256 KiB). */
    private static final int READ_BYTES = 256 * 1024;

    private final List<TensorSpec> specs;
    private final Path file;
    private final byte[] sha256;
    private TensorSet inMemory;

    private StartingWeights(TensorSet weights, Path file, byte[] sha256) {
        this.specs = weights.specs();
        this.inMemory = weights;
        this.file = file;
        this.sha256 = sha256 == null ? null : sha256.clone();
    }

    /** Weights kept in memory until the delta is formed. */
    public static StartingWeights inMemory(TensorSet weights) {
        return new StartingWeights(weights, null, null);
    }

    /**
     * Weights that {@code file} (a model file) also holds, its tensor section hashing to {@code sha256}: let go once
     * loaded into the model, read back from the file for the delta.
     */
    public static StartingWeights backedBy(TensorSet weights, Path file, byte[] sha256) {
        return new StartingWeights(weights, file, sha256);
    }

    /** Names and shapes of the weights, in order. */
    public List<TensorSpec> specs() {
        return specs;
    }

    /** Whether the delta will be formed against the model file rather than a copy in memory. */
    public boolean onDisk() {
        return file != null;
    }

    /** Sets the model's weights to these; weights backed by a file are then let go here. */
    void loadInto(MilModel model) {
        if (inMemory == null) {
            throw new IllegalStateException("the starting weights were loaded once and let go (the delta is formed "
                    + "against " + file + "); fetch the global model again to load it again");
        }
        model.setWeights(inMemory);
        if (file != null) {
            inMemory = null;
        }
    }

    /** The model's weights less these, tensor by tensor, in the trained weights' arrays. */
    TensorSet deltaOf(MilModel model) {
        Map<String, NDArray> trained = model.parameterArrays();
        if (!new ArrayList<>(trained.keySet()).equals(specs.stream().map(TensorSpec::name).toList())) {
            throw new IllegalArgumentException("the model's tensors " + trained.keySet() + " are not those the round "
                    + "started from, " + specs);
        }
        return inMemory != null ? deltaInMemory(trained) : deltaAgainstFile(trained);
    }

    private TensorSet deltaInMemory(Map<String, NDArray> trained) {
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (NamedTensor start : inMemory.tensors()) {
            float[] values = trained.get(start.name()).toFloatArray();
            float[] base = start.values();
            for (int j = 0; j < values.length; j++) {
                values[j] -= base[j];
            }
            out.add(new NamedTensor(start.name(), start.shape(), values));
        }
        return new TensorSet(out);
    }

    private TensorSet deltaAgainstFile(Map<String, NDArray> trained) {
        long tensorBytes = TensorCodec.byteSize(specs);
        List<NamedTensor> out = new ArrayList<>(specs.size());
        MessageDigest digest = Sha256.newDigest();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < tensorBytes) {
                throw new IllegalStateException(changed("it is " + size + " bytes, shorter than the model's "
                        + tensorBytes + " tensor bytes"));
            }
            // the tensor section is the file's last bytes (ModelFile's layout)
            long position = size - tensorBytes;
            ByteBuffer buffer = ByteBuffer.allocate(READ_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (TensorSpec spec : specs) {
                float[] values = trained.get(spec.name()).toFloatArray();
                int j = 0;
                while (j < values.length) {
                    buffer.clear().limit((int) Math.min(READ_BYTES, 4L * (values.length - j)));
                    while (buffer.hasRemaining()) {
                        int n = channel.read(buffer, position);
                        if (n < 0) {
                            throw new IllegalStateException(changed("it ended early"));
                        }
                        position += n;
                    }
                    buffer.flip();
                    digest.update(buffer.array(), 0, buffer.limit());
                    FloatBuffer base = buffer.asFloatBuffer();
                    while (base.hasRemaining()) {
                        values[j++] -= base.get();
                    }
                }
                out.add(new NamedTensor(spec.name(), spec.shape(), values));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the global model back from " + file + " to form this round's "
                    + "delta (" + e + "); the delta is not sent. Check the state folder's disk", e);
        }
        byte[] actual = digest.digest();
        if (!MessageDigest.isEqual(actual, sha256)) {
            throw new IllegalStateException(changed("its tensor bytes hash to " + Sha256.hex(actual) + ", not "
                    + Sha256.hex(sha256)));
        }
        return new TensorSet(out);
    }

    private String changed(String what) {
        return "the global model file " + file + " no longer holds the model this round started from: " + what
                + ". It was changed while the site trained; this round's delta is not sent (the next round downloads "
                + "and keeps its model again)";
    }
}
