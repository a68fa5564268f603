package org.fedmil.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.fedmil.pki.PemFiles;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's append-only, tamper-evident round log: a JSON Lines file with one signed record per event.
 *
 * <p>A record is one line: a JSON object whose keys are sorted ({@code seq}, {@code time}, {@code type},
 * {@code prev} and the event's fields), followed by the signature as the last member:
 * {@code {"fields..":..,"prev":"<hex>","seq":N,"time":"..","type":".."},"sig":"<base64>"}}. The signature is
 * ECDSA with SHA-256 (DER, base64) over the bytes of the line with the {@code ,"sig":"..."} member removed, i.e.
 * the canonical object itself. {@code prev} is the hex SHA-256 of the previous line's bytes (without its newline),
 * or 64 zeros for the first record; {@code seq} counts from 1.
 *
 * <p>Every record is written with one append and forced to disk before {@link #append} returns, so a crash
 * leaves at most a torn last line without its newline. Opening a log with a torn last line cuts it off (and
 * {@link #tornTail()} reports what was cut) before the chain is continued.
 *
 * <p>Thread-safe: records are chained in the order {@link #append} is called.
 */
public final class RoundLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoundLog.class);

    public static final String GENESIS = "0".repeat(64);
    static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Path file;
    private final LogSchema schema;
    private final PrivateKey key;
    private final String certificatePem;
    private final FileChannel channel;
    private final String tornTail;
    private final boolean existed;
    private long seq;
    private String prev;
    /** The last record known to be on disk: what {@link #head()} publishes. Written under {@link #forceLock}. */
    private volatile Entry forced;
    private final Object forceLock = new Object();

    private RoundLog(Path file, PrivateKey key, X509Certificate certificate, LogSchema schema) throws IOException {
        this.schema = schema;
        this.file = file;
        this.key = key;
        this.certificatePem = PemFiles.encodeCertificate(certificate);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean created = !Files.exists(file);
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        String torn = null;
        byte[] content = Files.readAllBytes(file);
        int end = content.length;
        if (end > 0 && content[end - 1] != '\n') {
            int lastNewline = lastIndexOf(content, end - 1);
            torn = "line " + (countLines(content, lastNewline + 1) + 1) + " was torn (" + (end - lastNewline - 1)
                    + " bytes without a newline, an append interrupted by a crash); it was cut off";
            end = lastNewline + 1;
            channel.truncate(end);
            channel.force(true);
            log.warn("round log {}: {}", file, torn);
        }
        if (created) {
            forceDirectory(dir);
        }
        this.tornTail = torn;
        this.existed = end > 0;
        channel.position(end);
        if (end == 0) {
            seq = 0;
            prev = GENESIS;
        } else {
            int start = lastIndexOf(content, end - 2) + 1;
            byte[] last = java.util.Arrays.copyOfRange(content, start, end - 1);
            Map<?, ?> record = CANONICAL.readValue(last, Map.class);
            if (!(record.get("seq") instanceof Number n)) {
                throw new IOException(file + ": the last record has no seq; run 'fedmil audit verify' on it");
            }
            seq = n.longValue();
            prev = Sha256.hex(Sha256.of(last));
        }
        forced = new Entry(seq, prev);
    }

    /**
     * Opens (creating if missing) the log at {@code file} for appending records signed with {@code key}, whose
     * certificate {@code certificate} is embedded in the records that introduce it.
     */
    public static RoundLog open(Path file, PrivateKey key, X509Certificate certificate) {
        return open(file, key, certificate, RecordSchema.ROUND_LOG);
    }

    /** As {@link #open(Path, PrivateKey, X509Certificate)}, for a log of another kind (a site's egress log). */
    public static RoundLog open(Path file, PrivateKey key, X509Certificate certificate, LogSchema schema) {
        try {
            return new RoundLog(file, key, certificate, schema);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open round log " + file + ": " + e.getMessage(), e);
        }
    }

    /** True if the log already held records when it was opened. */
    public boolean existed() {
        return existed;
    }

    /** What was cut off when the log was opened, if its last line was torn. */
    public Optional<String> tornTail() {
        return Optional.ofNullable(tornTail);
    }

    public Path file() {
        return file;
    }

    /** The PEM of the signing certificate, for the {@code cert} field of the records that introduce the key. */
    public String certificatePem() {
        return certificatePem;
    }

    /**
     * Appends one record and forces it to disk. Values must be JSON-friendly (strings, numbers, booleans, lists,
     * maps); records that {@link RecordSchema#introducesKey introduce the key} get the certificate added.
     *
     * @return the hex SHA-256 of the written line, which the next record names as {@code prev}
     */
    public String append(String type, Map<String, ?> fields) {
        return appendRecord(type, fields).sha256();
    }

    /** Where a record landed: its sequence number and the hex SHA-256 of its line, the log's head after it. */
    public record Entry(long seq, String sha256) {
    }

    /** The log's head now: records written and the hash of the last ({@link #GENESIS} when empty). */
    public Entry head() {
        return forced;
    }

    /** Signs a statement (a receipt, a published head) with the log's key. */
    public SignedStatement sign(Statement statement) {
        return SignedStatement.sign(statement, key);
    }

    /** As {@link #append}, returning where the record landed. */
    public Entry appendRecord(String type, Map<String, ?> fields) {
        for (String name : fields.keySet()) {
            if (RecordSchema.ENVELOPE.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is an envelope field of the round log");
            }
        }
        Entry mine = write(type, fields);
        forceThrough(mine);
        return mine;
    }

    /**
     * Group commit: one fsync makes every record written before it durable, so appenders that arrive while another
     * appender's fsync runs share the next one instead of each queueing its own (at 500 sites the coordinator's
     * handlers spent most of a round waiting in this log's fsync, one update at a time). A record is returned, and
     * published by {@link #head()}, only once it is on disk, as before.
     */
    private void forceThrough(Entry mine) {
        synchronized (forceLock) {
            if (forced.seq() >= mine.seq()) {
                return;
            }
            Entry target;
            synchronized (this) {
                target = new Entry(seq, prev);
            }
            try {
                channel.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot force round log " + file + " to disk: " + e.getMessage(), e);
            }
            forced = target;
        }
    }

    /** Signs and writes one record (not yet forced); the sequence and hash chain advance under this lock. */
    private synchronized Entry write(String type, Map<String, ?> fields) {
        Map<String, Object> record = new TreeMap<>(fields);
        if (schema.introducesKey(type)) {
            record.put(RecordSchema.CERT, certificatePem);
        }
        record.put("seq", seq + 1);
        record.put("time", Instant.now().toString());
        record.put("type", type);
        record.put("prev", prev);
        byte[] line = signedLine(record);
        ByteBuffer buffer = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to round log " + file + ": " + e.getMessage(), e);
        }
        seq++;
        prev = Sha256.hex(Sha256.of(line));
        return new Entry(seq, prev);
    }

    private byte[] signedLine(Map<String, Object> record) {
        byte[] body;
        try {
            body = CANONICAL.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("round log record is not JSON-serialisable: " + e.getMessage(), e);
        }
        String sig = Signatures.sign(key, body);
        String suffix = ",\"sig\":\"" + sig + "\"}";
        byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
        byte[] line = new byte[body.length - 1 + s.length];
        System.arraycopy(body, 0, line, 0, body.length - 1);
        System.arraycopy(s, 0, line, body.length - 1, s.length);
        return line;
    }

    /** Makes a new file's directory entry durable, where the platform allows (Linux does). */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    private static int lastIndexOf(byte[] content, int from) {
        for (int i = from; i >= 0; i--) {
            if (content[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int countLines(byte[] content, int end) {
        int n = 0;
        for (int i = 0; i < end; i++) {
            if (content[i] == '\n') {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing round log {}: {}", file, e.toString());
        }
    }
}
