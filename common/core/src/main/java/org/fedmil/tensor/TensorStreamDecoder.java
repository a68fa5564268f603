package org.fedmil.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes {@link TensorCodec}'s wire form into the tensors' float arrays as its bytes arrive, in pieces of any size:
 * a receiver holds the tensors and one piece, never the whole byte form beside them (for a model of hundreds of MB
 * that is one copy instead of two). A value split across two pieces is carried over.
 */
public final class TensorStreamDecoder {

    private final List<TensorSpec> specs;
    private final List<float[]> values;
    private final long expected;
    private final byte[] carry = new byte[Float.BYTES];
    private int carried;
    private long received;
    private int tensor;
    private int element;

    /** Allocates the tensors of {@code specs}; nothing else of their size is allocated later. */
    public TensorStreamDecoder(List<TensorSpec> specs) {
        this.specs = List.copyOf(specs);
        this.expected = TensorCodec.byteSize(specs);
        this.values = new ArrayList<>(specs.size());
        for (TensorSpec s : specs) {
            values.add(new float[Math.toIntExact(s.elementCount())]);
        }
        skipFullTensors();
    }

    /**
     * Decodes {@code piece} (from its position to its limit; the position is left at the limit).
     *
     * @throws IllegalArgumentException when the piece goes beyond the announced tensors' bytes
     */
    public void accept(ByteBuffer piece) {
        int n = piece.remaining();
        if (received + n > expected) {
            throw new IllegalArgumentException("received " + (received + n) + " tensor bytes, more than the "
                    + expected + " announced");
        }
        received += n;
        ByteBuffer in = piece.slice().order(ByteOrder.LITTLE_ENDIAN);
        piece.position(piece.limit());
        while (carried > 0 && in.hasRemaining()) {
            carry[carried++] = in.get();
            if (carried == Float.BYTES) {
                carried = 0;
                put(ByteBuffer.wrap(carry).order(ByteOrder.LITTLE_ENDIAN).getFloat());
            }
        }
        while (in.remaining() >= Float.BYTES) {
            float[] into = values.get(tensor);
            int count = Math.min(in.remaining() / Float.BYTES, into.length - element);
            in.asFloatBuffer().get(into, element, count);
            in.position(in.position() + count * Float.BYTES);
            element += count;
            skipFullTensors();
        }
        while (in.hasRemaining()) {
            carry[carried++] = in.get();
        }
    }

    private void put(float v) {
        values.get(tensor)[element++] = v;
        skipFullTensors();
    }

    private void skipFullTensors() {
        while (tensor < values.size() && element == values.get(tensor).length) {
            tensor++;
            element = 0;
        }
    }

    public long received() {
        return received;
    }

    public long expected() {
        return expected;
    }

    public boolean complete() {
        return received == expected;
    }

    /**
     * The decoded tensors.
     *
     * @throws IllegalStateException before every byte arrived
     */
    public TensorSet tensors() {
        if (!complete()) {
            throw new IllegalStateException("only " + received + " of " + expected + " tensor bytes arrived");
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            out.add(new NamedTensor(specs.get(i).name(), specs.get(i).shape(), values.get(i)));
        }
        return new TensorSet(out);
    }
}
