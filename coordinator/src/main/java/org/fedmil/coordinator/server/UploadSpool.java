package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.util.AtomicFiles;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of uploads as they arrive, spooled to the state folder per (site, round, delta SHA-256), so that a
 * site whose stream broke resumes from the last byte the coordinator acknowledged instead of sending everything
 * again, and so that a large delta is not held in memory while it arrives. Only a complete, checked upload
 * reaches the round; a partial one never does.
 *
 * <p>A byte is acknowledged (counted by {@link #held}, which UploadStatus reports) only once it was forced to
 * disk, so an acknowledged byte survives a coordinator crash. Forcing happens every {@link #FORCE_EVERY} bytes
 * and when a site asks where to resume, not per chunk: a per-chunk fsync slows the coordinator so much that
 * more bytes are in flight, and lost, when a link breaks. The spool folder is forced (so that the file's name
 * survives a crash) with an upload's first acknowledged byte, not when its file is created: most uploads are
 * complete before any byte is acknowledged, and at 500 sites a folder fsync per upload held the call handlers. After a crash after a restart the open round runs again under the same number from the
 * same model, and a site resending the same delta resumes from the spooled bytes. Partials of rounds that are
 * over are deleted.
 *
 * <pre>
 * state/uploads/site-1~r3~&lt;sha256 hex&gt;~&lt;total bytes&gt;.part
 * </pre>
 */
final class UploadSpool {

    private static final Logger log = LoggerFactory.getLogger(UploadSpool.class);

    /** Site names are [A-Za-z0-9._-] (ConsortiumCa.PARTY_NAME), so '~' cannot occur in them. */
    private static final String SEP = "~";

    static final long FORCE_EVERY = 8L << 20;

    /** Bytes written to a spool file at a time (see {@link Partial#append}). */
    private static final int WRITE_PIECE = 64 << 10;

    /**
     * Complete uploads read back into memory whole at once: one. Only masked and compressed uploads are read whole (a
     * plain float32 delta is checked and folded a piece at a time from its file); each is a whole delta until it is
     * checked and folded, so uploads that complete together would otherwise each hold one, and the coordinator's
     * heap would grow with the number of sites. The check is a hash and a pass over the values, a fraction of the
     * time the upload took to arrive.
     */
    private final Semaphore wholeUploads = new Semaphore(1, true);

    record Key(String site, int round, String sha256) {
        static Key of(String site, int round, byte[] sha) {
            return new Key(site, round, Sha256.hex(sha));
        }
    }

    /**
     * Waits for a turn to hold a complete upload in memory; {@link #doneWithWhole()} gives it back. Handlers wait
     * here, not the event thread, which never holds a turn.
     */
    void awaitWhole() {
        wholeUploads.acquireUninterruptibly();
    }

    void doneWithWhole() {
        wholeUploads.release();
    }

    /** Turns free now; for tests. */
    int wholeTurnsFree() {
        return wholeUploads.availablePermits();
    }

    /**
     * One upload's bytes so far. A newer stream of the same upload takes it over (its generation), so a stream
     * left over from a broken connection cannot append behind the resumed one's back. Callers synchronise on it.
     */
    static final class Partial {
        private final Path file;
        private final long expected;
        private FileChannel channel;
        private long written;
        private long durable;
        private int generation;
        /** Why this partial was dropped while a stream may still be appending to it; null while it is held. */
        private FederationException dropped;
        /** Whether the file's name is known durable in the spool folder (forced with the folder's fsync). */
        private boolean named;

        private Partial(Path file, long expected, long onDisk, boolean named) {
            this.file = file;
            this.expected = expected;
            this.written = onDisk;
            this.durable = onDisk;
            this.named = named;
        }

        synchronized int takeOver() {
            return ++generation;
        }

        synchronized boolean ownedBy(int generation) {
            return this.generation == generation;
        }

        /** Bytes received so far, in order; the next chunk must start here. */
        synchronized long written() {
            return written;
        }

        /** Bytes received and forced to disk: what the coordinator acknowledges. Forces what is pending. */
        synchronized long held() {
            force();
            return durable;
        }

        long expected() {
            return expected;
        }

        synchronized boolean complete() {
            return written == expected;
        }

        /** The refusal for a stream still sending to this partial after it was dropped; null while it is held. */
        synchronized FederationException dropped() {
            return dropped;
        }

        /**
         * Appends at the end; forces to disk every FORCE_EVERY bytes.
         *
         * @throws FederationException the partial was dropped under the stream (its round closed, the site sent
         *                             another update): why, rather than the closed file's I/O error
         */
        synchronized void append(ByteString data) {
            if (dropped != null) {
                throw dropped;
            }
            try {
                if (channel == null) {
                    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                }
                ByteBuffer buffer = data.asReadOnlyByteBuffer();
                long at = written;
                while (buffer.hasRemaining()) {
                    // a write from the heap goes through a temporary direct buffer of the write's size, which the
                    // JDK keeps per thread only up to 256 KiB (the launchers' jdk.nio.maxCachedBufferSize): a site's
                    // 1 MiB chunk written whole cost a native allocation and free per chunk on every handler
                    // thread, and malloc kept what sixteen concurrent uploads had taken. 64 KiB pieces reuse one
                    // small cached buffer per thread.
                    ByteBuffer piece = buffer.slice().limit(Math.min(WRITE_PIECE, buffer.remaining()));
                    int n = channel.write(piece, at);
                    at += n;
                    buffer.position(buffer.position() + n);
                }
                written = at;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spool an upload to " + file
                        + "; check the state folder's free space and permissions", e);
            }
            if (written - durable >= FORCE_EVERY) {
                force();
            }
        }

        private void force() {
            if (durable == written || channel == null) {
                durable = written;
                return;
            }
            try {
                channel.force(false);
                if (!named) {
                    // the first acknowledged byte needs the file's name durable too; uploads that complete before
                    // any byte is acknowledged (every small one) never pay for the folder's fsync
                    AtomicFiles.fsyncDirectory(file.getParent());
                    named = true;
                }
                durable = written;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot force the spooled upload " + file + " to disk", e);
            }
        }

        /**
         * The complete upload, to be read a piece at a time from its file (call once {@link #complete()}); the
         * caller closes the channel. No byte of a complete upload is written again (a chunk past its end is refused,
         * an overlapping resend adds nothing), and a dropped or restarted upload gets a new file, so what the
         * channel reads is the bytes that arrived, however long the reading takes.
         */
        synchronized FileChannel openComplete() {
            try {
                return FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the spooled upload " + file, e);
            }
        }

        /** The spool file's name, for errors. */
        Path file() {
            return file;
        }

        /** The complete upload as one array; call once {@link #complete()}. */
        synchronized byte[] bytes() {
            try {
                byte[] out = new byte[(int) expected];
                ByteBuffer buffer = ByteBuffer.wrap(out);
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                    while (buffer.position() < out.length) {
                        // a piece at a time: a read into a heap buffer goes through a temporary direct buffer of
                        // the read's size, which the JDK then keeps for this (handler) thread
                        buffer.limit(Math.min(out.length, buffer.position() + WRITE_PIECE));
                        int n = in.read(buffer, buffer.position());
                        if (n < 0) {
                            throw new IOException("spooled upload ended after " + buffer.position() + " bytes");
                        }
                    }
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the spooled upload " + file, e);
            }
        }

        private synchronized void drop(FederationException why) {
            dropped = why;
            delete();
        }

        private synchronized void delete() {
            try {
                if (channel != null) {
                    channel.close();
                }
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("could not delete spooled upload {}: {}", file, e.getMessage());
            }
        }
    }

    private final Path dir;
    private final Map<Key, Partial> partials = new ConcurrentHashMap<>();

    /** Opens the spool folder, taking up the partial uploads a previous run of the coordinator left there. */
    UploadSpool(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.part")) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    String[] parts = name.substring(0, name.length() - ".part".length()).split(SEP);
                    if (parts.length != 4 || !parts[1].startsWith("r")) {
                        log.warn("ignoring {} in the upload spool: not a name the coordinator writes", f);
                        continue;
                    }
                    long expected = Long.parseLong(parts[3]);
                    long size = Math.min(Files.size(f), expected);
                    partials.put(new Key(parts[0], Integer.parseInt(parts[1].substring(1)), parts[2]),
                            new Partial(f, expected, size, true));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot open the upload spool " + dir + ": " + e.getMessage()
                    + "; check the state folder's permissions, or delete the uploads folder (sites send again)", e);
        }
    }

    /**
     * The partial of this upload, created empty if none is held. Deletes partials of rounds before
     * {@code currentRound} and the site's other partials (a site has one update per round; another SHA-256
     * means it gave the earlier one up), so that a site never has more than one upload on disk.
     */
    Partial open(Key key, long totalBytes, int currentRound) {
        partials.entrySet().removeIf(e -> {
            Key k = e.getKey();
            if (k.round() < currentRound) {
                e.getValue().drop(UpdateRefusal.ROUND_CLOSED.because("round " + k.round() + " closed while this "
                        + "update arrived; the coordinator is in round " + currentRound + ", ask for the next task"));
                return true;
            }
            if (k.site().equals(key.site()) && !k.equals(key)) {
                String sha = key.sha256().substring(0, Math.min(12, key.sha256().length()));
                e.getValue().drop(new FederationException(io.grpc.Status.Code.ABORTED, "site '" + k.site()
                        + "' started another upload (round " + key.round() + ", delta " + sha
                        + "…); this one was given up"));
                return true;
            }
            return false;
        });
        Partial p = partials.computeIfAbsent(key, k -> create(k, totalBytes));
        if (p.expected() != totalBytes) {
            // same SHA-256, other size: a confused header; start that upload over
            p.delete();
            p = create(key, totalBytes);
            partials.put(key, p);
        }
        return p;
    }

    private Partial create(Key key, long totalBytes) {
        Path file = dir.resolve(key.site() + SEP + "r" + key.round() + SEP + key.sha256() + SEP + totalBytes + ".part");
        try {
            Files.deleteIfExists(file);
            Files.createFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file + " to spool an upload", e);
        }
        // not yet named durably: the folder is forced with the first acknowledged byte (Partial.force), not here,
        // since until then a crash loses nothing the site was told the coordinator holds
        return new Partial(file, totalBytes, 0, false);
    }

    /** Bytes held of this upload; 0 when none. */
    long held(Key key) {
        Partial p = partials.get(key);
        return p == null ? 0 : p.held();
    }

    void drop(Key key) {
        Partial p = partials.remove(key);
        if (p != null) {
            p.delete();
        }
    }
}
