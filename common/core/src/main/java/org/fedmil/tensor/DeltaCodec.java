package org.fedmil.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of a delta in a {@link DeltaEncoding}: tensors in header order, little-endian. FLOAT32 is exactly
 * {@link TensorCodec}'s form; FLOAT16 is 2 bytes per value; INT8 is, per tensor, its float32 scale then one signed
 * byte per value. The size follows from the specs alone, so the coordinator can check an announced size before
 * reading any byte.
 */
public final class DeltaCodec {

    private static final int INT8_LEVELS = 127;

    private DeltaCodec() {
    }

    public static long byteSize(List<TensorSpec> specs, DeltaEncoding encoding) {
        long n = 0;
        for (TensorSpec s : specs) {
            n = Math.addExact(n, switch (encoding) {
                case FLOAT32 -> Math.multiplyExact(4L, s.elementCount());
                case FLOAT16 -> Math.multiplyExact(2L, s.elementCount());
                case INT8 -> Math.addExact(4L, s.elementCount());
            });
        }
        return n;
    }

    public static byte[] encode(TensorSet delta, DeltaEncoding encoding) {
        if (encoding == DeltaEncoding.FLOAT32) {
            return TensorCodec.encode(delta);
        }
        long size = byteSize(delta.specs(), encoding);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("delta of " + size + " bytes is too large for one array");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        for (NamedTensor t : delta.tensors()) {
            float[] v = t.values();
            if (encoding == DeltaEncoding.FLOAT16) {
                for (float x : v) {
                    buf.putShort(Half.fromFloat(x));
                }
            } else {
                float scale = int8Scale(v);
                buf.putFloat(scale);
                for (float x : v) {
                    buf.put(scale == 0 ? 0 : (byte) Math.round(x / scale));
                }
            }
        }
        return buf.array();
    }

    /** Rebuilds the float32 delta; the byte count must match the specs and encoding exactly. */
    public static TensorSet decode(List<TensorSpec> specs, DeltaEncoding encoding, byte[] bytes) {
        if (encoding == DeltaEncoding.FLOAT32) {
            return TensorCodec.decode(specs, bytes);
        }
        long expected = byteSize(specs, encoding);
        if (expected != bytes.length) {
            throw new IllegalArgumentException(encoding + " delta: expected " + expected + " bytes for " + specs
                    + " but got " + bytes.length);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (TensorSpec spec : specs) {
            float[] values = new float[Math.toIntExact(spec.elementCount())];
            if (encoding == DeltaEncoding.FLOAT16) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Half.toFloat(buf.getShort());
                }
            } else {
                float scale = buf.getFloat();
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.get() * scale;
                }
            }
            out.add(new NamedTensor(spec.name(), spec.shape(), values));
        }
        return new TensorSet(out);
    }

    /** What the receiver will see: encode then decode. */
    public static TensorSet roundTrip(TensorSet delta, DeltaEncoding encoding) {
        return decode(delta.specs(), encoding, encode(delta, encoding));
    }

    /** max|x| / 127, so the largest value maps to ±127 and 0 stays exactly 0. */
    private static float int8Scale(float[] v) {
        float max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        return max / INT8_LEVELS;
    }
}
