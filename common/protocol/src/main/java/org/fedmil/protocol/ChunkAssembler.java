package org.fedmil.protocol;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import org.fedmil.util.Sha256;

/**
 * Collects the data chunks of one transfer whose total size was announced in its header, hashing as it goes,
 * so that a sender can never make the receiver buffer more than it announced.
 */
public final class ChunkAssembler {

    private final byte[] buffer;
    private final MessageDigest digest = Sha256.newDigest();
    private int filled;

    public ChunkAssembler(long announcedBytes) {
        if (announcedBytes < 0 || announcedBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("announced size " + announcedBytes + " bytes is out of range");
        }
        this.buffer = new byte[(int) announcedBytes];
    }

    /** Appends one chunk; refuses chunks larger than the protocol allows or beyond the announced size. */
    public void append(ByteString chunk) {
        if (chunk.size() > Wire.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk of " + chunk.size() + " bytes exceeds the protocol's "
                    + Wire.MAX_CHUNK_BYTES + "-byte limit");
        }
        if ((long) filled + chunk.size() > buffer.length) {
            throw new IllegalArgumentException("received more than the " + buffer.length + " bytes announced in the header");
        }
        chunk.copyTo(buffer, filled);
        digest.update(buffer, filled, chunk.size());
        filled += chunk.size();
    }

    public boolean complete() {
        return filled == buffer.length;
    }

    public long received() {
        return filled;
    }

    public long expected() {
        return buffer.length;
    }

    /** The SHA-256 of everything received; call once, after the last chunk. */
    public byte[] sha256() {
        return digest.digest();
    }

    public byte[] bytes() {
        return buffer;
    }
}
