package org.fedmil.coordinator.round;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * The wire form of a model's weights (float32 little-endian, tensors concatenated) made a chunk at a time, so that
 * sending, saving or hashing a model never holds a second whole copy of it: the pieces are small and short-lived.
 */
public final class ModelChunks implements Iterator<ByteString> {

    /** The piece written to a file or a digest at a time. */
    private static final int WRITE_BYTES = 64 << 10;

    private final List<NamedTensor> tensors;
    private final int chunkBytes;
    private final long total;
    private long done;
    private int tensor;
    private int element;

    /** @param chunkBytes bytes per chunk (a multiple of 4); the last chunk may be shorter */
    public ModelChunks(TensorSet weights, int chunkBytes) {
        if (chunkBytes <= 0 || chunkBytes % 4 != 0) {
            throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes: must be a positive multiple of 4");
        }
        this.tensors = weights.tensors();
        this.chunkBytes = chunkBytes;
        this.total = weights.byteSize();
    }

    @Override
    public boolean hasNext() {
        return done < total;
    }

    /** A new array for each chunk: protobuf may keep a chunk until it is written to the network. */
    @Override
    public ByteString next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        byte[] chunk = new byte[(int) Math.min(chunkBytes, total - done)];
        fill(chunk);
        return UnsafeByteOperations.unsafeWrap(chunk);
    }

    private void fill(byte[] chunk) {
        java.nio.FloatBuffer out = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        while (out.hasRemaining()) {
            float[] values = tensors.get(tensor).values();
            int n = Math.min(out.remaining(), values.length - element);
            out.put(values, element, n);
            element += n;
            if (element == values.length) {
                tensor++;
                element = 0;
            }
        }
        done += chunk.length;
    }

    /** Writes the wire form of {@code weights} to {@code out}, {@value #WRITE_BYTES} bytes at a time. */
    public static void writeTo(TensorSet weights, OutputStream out) throws IOException {
        ModelChunks chunks = new ModelChunks(weights, WRITE_BYTES);
        byte[] piece = new byte[WRITE_BYTES];
        while (chunks.hasNext()) {
            int n = (int) Math.min(WRITE_BYTES, chunks.total - chunks.done);
            byte[] target = n == piece.length ? piece : new byte[n];
            chunks.fill(target);
            out.write(target);
        }
    }
}
