package org.fedmil.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file replaced atomically, as {@link AtomicFiles#write}, whose content is pushed to it as it arrives (a download)
 * rather than produced in one callback: bytes go to a sibling temp file; {@link #commit} fsyncs it, renames it over
 * the target and fsyncs the folder; {@link #close} without a commit deletes it, so readers see the old file or the
 * complete new one.
 */
public final class AtomicFileOutput implements AutoCloseable {

    /** The most bytes handed to the channel in one write: a heap buffer goes through a JDK direct buffer of its size. */
    private static final int SLICE = 1 << 16;

    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private long written;
    private boolean done;

    private AtomicFileOutput(Path target, Path tmp, FileChannel channel) {
        this.target = target;
        this.tmp = tmp;
        this.channel = channel;
    }

    /** Starts replacing {@code target}; creates its folder if needed. */
    public static AtomicFileOutput open(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        // as AtomicFiles: not createTempFile (mode 0600 would carry over), a dot prefix hides it from loaders
        Path tmp = dir.resolve("." + absolute.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        return new AtomicFileOutput(absolute, tmp,
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    /** Appends {@code bytes} from their position to their limit (the position is left at the limit). */
    public void write(ByteBuffer bytes) throws IOException {
        requireOpen();
        while (bytes.hasRemaining()) {
            ByteBuffer slice = bytes.slice();
            slice.limit(Math.min(slice.remaining(), SLICE));
            int n = slice.remaining();
            while (slice.hasRemaining()) {
                channel.write(slice);
            }
            bytes.position(bytes.position() + n);
            written += n;
        }
    }

    public void write(byte[] bytes, int offset, int length) throws IOException {
        write(ByteBuffer.wrap(bytes, offset, length));
    }

    /** An output stream onto this file (closing it does nothing: commit or close this). */
    public OutputStream stream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                AtomicFileOutput.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                AtomicFileOutput.this.write(b, off, len);
            }
        };
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }

    /** Makes the content durable and puts it in place of the target. */
    public void commit() throws IOException {
        requireOpen();
        try {
            channel.force(true);
            channel.close();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        AtomicFiles.fsyncDirectory(target.getParent());
    }

    /** Without a commit: abandons the content, leaving the target as it was. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // the temp file is deleted below either way
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a stray dot-file in the state folder; the next write replaces the target regardless
        }
    }

    private void requireOpen() {
        if (done) {
            throw new IllegalStateException("the new content of " + target + " was already committed or abandoned");
        }
    }
}
