package org.fedmil.coordinator.aggregate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * An update's bytes as the coordinator received them, read a piece at a time: from the spool file an upload arrived
 * in, or from memory. The checks and the round's sum read an upload this way, so that the coordinator never holds a
 * whole received update beside the global model and the sum: what is in memory is one piece.
 */
public interface UpdateBytes {

    /**
     * The piece read from a file at a time: a multiple of 4 bytes (so no float32 value is split between pieces),
     * and small enough that the JDK keeps its temporary direct buffer for the reading thread instead of allocating
     * and freeing one per read (the launchers cap cached buffers at 256 KiB).
     */
    int PIECE_BYTES = 64 << 10;

    /** Takes one piece: {@code piece[0, length)}; the array is reused for the next piece, so copy what is kept. */
    @FunctionalInterface
    interface PieceSink {
        void accept(byte[] piece, int length);
    }

    long size();

    /**
     * Hands the bytes to {@code sink} in order, in pieces that are each a multiple of 4 bytes but the last.
     *
     * @throws UncheckedIOException if a spooled upload cannot be read
     */
    void forEachPiece(PieceSink sink);

    /** The bytes as one new array: a whole copy, for what needs one (masked or compressed uploads, tests). */
    byte[] whole();

    /** Bytes already in memory, handed out as one piece. */
    static UpdateBytes of(byte[] bytes) {
        return new UpdateBytes() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void forEachPiece(PieceSink sink) {
                sink.accept(bytes, bytes.length);
            }

            @Override
            public byte[] whole() {
                return bytes;
            }
        };
    }

    /**
     * The first {@code size} bytes of an open file, read with positional reads (the channel's position is not
     * used), {@value #PIECE_BYTES} at a time. The caller keeps the channel open while the bytes are read and closes
     * it after: an open channel keeps reading the same file even if its name is deleted or replaced meanwhile.
     *
     * @param what names the file in errors
     */
    static UpdateBytes of(FileChannel file, long size, String what) {
        return new UpdateBytes() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void forEachPiece(PieceSink sink) {
                byte[] piece = new byte[(int) Math.min(PIECE_BYTES, Math.max(size, 0))];
                ByteBuffer buffer = ByteBuffer.wrap(piece);
                long at = 0;
                while (at < size) {
                    int n = (int) Math.min(piece.length, size - at);
                    buffer.clear().limit(n);
                    read(buffer, at);
                    sink.accept(piece, n);
                    at += n;
                }
            }

            @Override
            public byte[] whole() {
                if (size > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException(what + " has " + size + " bytes, more than one array holds");
                }
                byte[] out = new byte[(int) size];
                int[] at = {0};
                forEachPiece((piece, length) -> {
                    System.arraycopy(piece, 0, out, at[0], length);
                    at[0] += length;
                });
                return out;
            }

            private void read(ByteBuffer buffer, long position) {
                try {
                    long at = position;
                    while (buffer.hasRemaining()) {
                        int n = file.read(buffer, at);
                        if (n < 0) {
                            throw new IOException(what + " ended after " + at + " of " + size + " bytes");
                        }
                        at += n;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + what + "; check the state folder's disk", e);
                }
            }
        };
    }
}
