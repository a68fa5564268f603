package org.fedmil.site.outbound;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorStreamEncoder;
import org.fedmil.util.Sha256;

/**
 * The bytes an upload sends, read a piece at a time: either an array (a lossy encoding, a masked input) or a float32
 * delta's wire form, encoded from the delta as each chunk is sent. A float32 delta is thus held once, as its floats,
 * rather than a second time as its bytes for as long as the site keeps it for a resend.
 */
public final class WireBytes {

    private final byte[] array;
    private final TensorSet float32;
    private volatile byte[] sha256;

    private WireBytes(byte[] array, TensorSet float32) {
        this.array = array;
        this.float32 = float32;
    }

    /** These bytes (not copied). */
    public static WireBytes of(byte[] bytes) {
        return new WireBytes(Objects.requireNonNull(bytes, "bytes"), null);
    }

    /** {@link TensorCodec}'s float32 form of {@code delta}, which must not change while it is sent. */
    public static WireBytes float32(TensorSet delta) {
        return new WireBytes(null, Objects.requireNonNull(delta, "delta"));
    }

    public long size() {
        return array != null ? array.length : float32.byteSize();
    }

    /** The SHA-256 of the bytes, computed once. */
    public byte[] sha256() {
        byte[] h = sha256;
        if (h == null) {
            h = array != null ? Sha256.of(array) : TensorStreamEncoder.sha256(float32);
            sha256 = h;
        }
        return h.clone();
    }

    /** Fills {@code into} from its position to its limit with the bytes from {@code offset}. */
    public void copy(long offset, ByteBuffer into) {
        if (array != null) {
            into.put(array, Math.toIntExact(offset), into.remaining());
        } else {
            TensorStreamEncoder.encode(float32, offset, into);
        }
    }

    /**
     * {@code length} bytes from {@code offset} as an array the caller may keep: a view of the array when there is
     * one, else a newly encoded piece.
     */
    public com.google.protobuf.ByteString piece(long offset, int length) {
        if (array != null) {
            return com.google.protobuf.UnsafeByteOperations.unsafeWrap(array, Math.toIntExact(offset), length);
        }
        byte[] piece = new byte[length];
        TensorStreamEncoder.encode(float32, offset, ByteBuffer.wrap(piece));
        return com.google.protobuf.UnsafeByteOperations.unsafeWrap(piece);
    }

    /** All the bytes in one array: the array itself, or a new encoding of the delta (a whole copy; for small uses). */
    public byte[] array() {
        return array != null ? array : TensorCodec.encode(float32);
    }
}
