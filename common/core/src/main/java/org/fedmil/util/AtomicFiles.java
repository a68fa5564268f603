package org.fedmil.util;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file so that readers see either the old content or the complete new one, never a prefix:
 * write a sibling temp file, fsync it, rename it over the target, fsync the directory.
 */
public final class AtomicFiles {

    /** Produces a file's content. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    public static void write(Path target, Content content) throws IOException {
        writeWithoutDirectorySync(target, content);
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * As {@link #write} but leaves syncing the directory to the caller, who writes many files into it and
     * syncs it once before publishing them (one directory fsync instead of one per file).
     */
    public static void writeWithoutDirectorySync(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: that creates mode 0600, and the rename would carry that over, hiding the
        // data from a site agent running as another user. A dot prefix keeps dataset loaders from seeing it.
        Path tmp = dir.resolve("." + absolute.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(new SlicedChannelOutput(channel), SLICE)) {
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Makes a rename durable; without it a crash can lose the new directory entry. */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; the rename is still atomic there.
        }
    }

    /** The most bytes handed to the channel in one write. */
    private static final int SLICE = 1 << 16;

    /**
     * Writes to the channel at most {@value #SLICE} bytes at a time. A channel copies a heap buffer into a temporary
     * direct buffer of the whole write's size, and the JDK keeps that buffer for the thread: one 40 MB model written
     * in one call left 40 MB of native memory with every thread that ever saved one.
     */
    private static final class SlicedChannelOutput extends OutputStream {
        private final FileChannel channel;

        SlicedChannelOutput(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int at = off, end = off + len; at < end; ) {
                java.nio.ByteBuffer slice = java.nio.ByteBuffer.wrap(b, at, Math.min(SLICE, end - at));
                while (slice.hasRemaining()) {
                    at += channel.write(slice);
                }
            }
        }
    }
}
