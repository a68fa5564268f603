package org.fedmil.tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.List;

/**
 * {@link TensorCodec}'s wire form of a tensor set produced a piece at a time, from any byte offset: a file write, a
 * hash or an upload chunk then needs a buffer of the piece's size instead of a second copy of the whole set.
 */
public final class TensorStreamEncoder {

    /** The piece size of {@link #writeTo} and {@link #sha256}. */
    static final int PIECE = 1 << 16;

    private TensorStreamEncoder() {
    }

    /**
     * Fills {@code into} from its position to its limit with the wire bytes of {@code set} from byte {@code offset}.
     *
     * @throws IllegalArgumentException when that range goes beyond the set's bytes
     */
    public static void encode(TensorSet set, long offset, ByteBuffer into) {
        long size = set.byteSize();
        if (offset < 0 || offset + into.remaining() > size) {
            throw new IllegalArgumentException("bytes " + offset + ".." + (offset + into.remaining())
                    + " are outside the tensor set's " + size);
        }
        List<NamedTensor> tensors = set.tensors();
        int t = 0;
        long start = 0;
        while (into.hasRemaining()) {
            float[] v = tensors.get(t).values();
            long end = start + 4L * v.length;
            if (offset >= end) {
                start = end;
                t++;
                continue;
            }
            int element = (int) ((offset - start) / Float.BYTES);
            int skip = (int) ((offset - start) % Float.BYTES);
            if (skip != 0 || into.remaining() < Float.BYTES) {
                // a value split between two pieces: its bytes one at a time
                ByteBuffer one = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, v[element]);
                int n = Math.min(Float.BYTES - skip, into.remaining());
                into.put(one.array(), skip, n);
                offset += n;
                continue;
            }
            int count = Math.min(into.remaining() / Float.BYTES, v.length - element);
            ByteBuffer whole = into.slice().order(ByteOrder.LITTLE_ENDIAN);
            whole.asFloatBuffer().put(v, element, count);
            into.position(into.position() + count * Float.BYTES);
            offset += 4L * count;
        }
    }

    /** Writes the wire bytes of {@code set} to {@code out}, {@value #PIECE} bytes at a time. */
    public static void writeTo(TensorSet set, OutputStream out) throws IOException {
        byte[] piece = new byte[PIECE];
        long size = set.byteSize();
        for (long at = 0; at < size; at += PIECE) {
            int n = (int) Math.min(PIECE, size - at);
            encode(set, at, ByteBuffer.wrap(piece, 0, n));
            out.write(piece, 0, n);
        }
    }

    /** The SHA-256 of the wire bytes of {@code set}, as {@code Sha256.of(TensorCodec.encode(set))} without the copy. */
    public static byte[] sha256(TensorSet set) {
        MessageDigest digest = org.fedmil.util.Sha256.newDigest();
        try {
            writeTo(set, new OutputStream() {
                @Override
                public void write(int b) {
                    digest.update((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    digest.update(b, off, len);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("a digest does not fail", e);
        }
        return digest.digest();
    }
}
