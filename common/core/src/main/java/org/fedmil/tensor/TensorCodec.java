package org.fedmil.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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

    /**
     * Reads one float32 of the wire form straight out of a byte array. The JIT turns it into a plain load on
     * little-endian machines, so a receiver can scan or fold the received bytes without decoding them into a
     * second array first (which costs an allocation of the update's size and a pass over it).
     */
    private static final VarHandle WIRE_FLOAT =
            MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private TensorCodec() {
    }

    /** The float32 at element {@code element} (not byte) of the wire form in {@code bytes}. */
    public static float floatAt(byte[] bytes, int element) {
        return (float) WIRE_FLOAT.get(bytes, element << 2);
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
