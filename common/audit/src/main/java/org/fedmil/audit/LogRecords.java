package org.fedmil.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.util.Sha256;

/**
 * The records of a signed JSON Lines log (round log or egress log) read back for the audit tools that look at what
 * the records say: each with its line number, seq and line hash. Reading does not check anything; callers
 * {@link RoundLogVerifier verify} the log first and pass how many records verified, so that no tool reasons about a
 * record whose signature or chain is broken.
 */
public final class LogRecords {

    /**
     * One record.
     *
     * @param line   1-based line number in the file
     * @param sha256 hex SHA-256 of the line's bytes without its newline: what the next record names as prev, and what
     *               receipts and heads name as the record's hash
     */
    public record Line(int line, long seq, String sha256, Map<String, Object> fields) {

        public String type() {
            return String.valueOf(fields.get("type"));
        }

        public String text(String key) {
            return fields.get(key) instanceof String s ? s : null;
        }

        /** A whole-number field, or null if missing or not a number. */
        public Long number(String key) {
            return fields.get(key) instanceof Number n ? n.longValue() : null;
        }

        public Double real(String key) {
            return fields.get(key) instanceof Number n ? n.doubleValue() : null;
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> map(String key) {
            return fields.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        }

        public String time() {
            return text("time");
        }
    }

    private final List<Line> lines;
    private final LogSchema schema;

    private LogRecords(List<Line> lines, LogSchema schema) {
        this.lines = List.copyOf(lines);
        this.schema = schema;
    }

    /**
     * Reads the first {@code limit} complete records of {@code file}; lines that are not JSON objects are skipped
     * (only possible past the verified part, which {@code --unverified} reports on).
     */
    public static LogRecords read(Path file, int limit) throws IOException {
        byte[] content = Files.readAllBytes(file);
        LogSchema schema = RoundLogVerifier.schemaOf(content);
        List<Line> lines = new ArrayList<>();
        int start = 0;
        int lineNo = 0;
        while (start < content.length && lines.size() < limit) {
            int nl = start;
            while (nl < content.length && content[nl] != '\n') {
                nl++;
            }
            if (nl == content.length) {
                break; // a torn last line is not part of the chain
            }
            lineNo++;
            byte[] line = Arrays.copyOfRange(content, start, nl);
            start = nl + 1;
            Map<String, Object> fields;
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = RoundLog.CANONICAL.readValue(line, Map.class);
                fields = m;
            } catch (IOException e) {
                continue;
            }
            long seq = fields.get("seq") instanceof Number n ? n.longValue() : lineNo;
            lines.add(new Line(lineNo, seq, Sha256.hex(Sha256.of(line)), fields));
        }
        return new LogRecords(lines, schema);
    }

    /** Every record of the log (as far as read). */
    public static LogRecords readAll(Path file) throws IOException {
        return read(file, Integer.MAX_VALUE);
    }

    public List<Line> lines() {
        return lines;
    }

    public LogSchema schema() {
        return schema;
    }

    public int size() {
        return lines.size();
    }

    /** The record at 1-based position {@code seq} (the n-th line read), if the log holds that many. */
    public Optional<Line> at(long seq) {
        return seq >= 1 && seq <= lines.size() ? Optional.of(lines.get((int) (seq - 1))) : Optional.empty();
    }

    public List<Line> ofType(String type) {
        return lines.stream().filter(l -> type.equals(l.type())).toList();
    }

    /**
     * The signing certificate in force at record {@code seq}: the one embedded in the last key-introducing record at
     * or before it ({@code federation_created}, {@code coordinator_restarted}; for an egress log its own). Past the
     * end of the log, the last one. Empty if no record introduced a key.
     */
    public Optional<X509Certificate> signerAt(long seq) {
        X509Certificate found = null;
        for (Line l : lines) {
            if (l.seq() > seq) {
                break;
            }
            if (schema.introducesKey(l.type()) && l.text(RecordSchema.CERT) != null) {
                found = RoundLogVerifier.parseCertificate(l.text(RecordSchema.CERT));
            }
        }
        return Optional.ofNullable(found);
    }

    /** Every signing certificate the log introduced, in order. */
    public List<X509Certificate> signers() {
        return lines.stream().filter(l -> schema.introducesKey(l.type()) && l.text(RecordSchema.CERT) != null)
                .map(l -> RoundLogVerifier.parseCertificate(l.text(RecordSchema.CERT))).toList();
    }

    /** The federation id the log's first record names, or null. */
    public String federationId() {
        return lines.isEmpty() ? null : lines.get(0).text("federation_id");
    }
}
