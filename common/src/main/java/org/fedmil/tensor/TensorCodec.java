package org.fedmil.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of a {@link TensorSet}: the float32 values of every tensor, little-endian, row-major,
 * concatenated in the set's order. Names and shapes travel separately as {@link TensorSpec}s in a header,
 * so that a receiver can fold bytes into an accumulator as they arrive.
 */
public final class TensorCodec {

    private TensorCodec() {
    }

    public static byte[] encode(TensorSet set) {
        long size = set.byteSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor set of " + size + " bytes is too large for one array");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer floats = buf.asFloatBuffer();
        for (NamedTensor t : set.tensors()) {
            floats.put(t.values());
        }
        return buf.array();
    }

    /** Rebuilds a set from its specs and bytes; the byte count must match the specs exactly. */
    public static TensorSet decode(List<TensorSpec> specs, byte[] bytes) {
        long expected = byteSize(specs);
        if (expected != bytes.length) {
            throw new IllegalArgumentException("tensor bytes: expected " + expected + " bytes for " + specs
                    + " but got " + bytes.length);
        }
        FloatBuffer floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (TensorSpec spec : specs) {
            float[] values = new float[Math.toIntExact(spec.elementCount())];
            floats.get(values);
            out.add(new NamedTensor(spec.name(), spec.shape(), values));
        }
        return new TensorSet(out);
    }

    public static long byteSize(List<TensorSpec> specs) {
        long n = 0;
        for (TensorSpec s : specs) {
            n = Math.addExact(n, Math.multiplyExact(4L, s.elementCount()));
        }
        return n;
    }
}
