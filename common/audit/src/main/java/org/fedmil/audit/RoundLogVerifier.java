package org.fedmil.audit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.util.Sha256;

/**
 * Checks a {@link RoundLog}: every record's JSON and schema, its signature by the coordinator certificate in
 * force (embedded in the record that introduced it), that certificate's chain to the consortium CA at the
 * record's time, the sequence numbers and the hash chain. Stops at the first bad record.
 */
public final class RoundLogVerifier {

    private static final Pattern SIG_SUFFIX = Pattern.compile(",\"sig\":\"([A-Za-z0-9+/=]*)\"}$");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private RoundLogVerifier() {
    }

    /**
     * The verdict on a log.
     *
     * @param ok            every complete record verified (a torn last line does not make it false)
     * @param records       how many complete records verified
     * @param head          the hex SHA-256 of the last verified record ({@link RoundLog#GENESIS} if none)
     * @param firstBadLine  1-based line number of the first bad record, or 0 if none
     * @param problem       what is wrong with it, or null
     * @param tornLastLine  the file ends in a line without its newline: an append interrupted by a crash, which is
     *                      not part of the chain
     * @param cosignedRecords how many of the first records some site countersigned (the largest round-log head a
     *                      site signed in its {@code site_heads}, every one checked against the records); 0 if none.
     *                      Records after it are vouched for by the coordinator's signature alone
     */
    public record Verdict(boolean ok, int records, String head, int firstBadLine, String problem,
                          boolean tornLastLine, long cosignedRecords) {

        public Verdict(boolean ok, int records, String head, int firstBadLine, String problem, boolean tornLastLine) {
            this(ok, records, head, firstBadLine, problem, tornLastLine, 0);
        }
    }

    /** Verifies a round log or a site's egress log, telling them apart by their first record. */
    public static Verdict verify(Path logFile, X509Certificate ca) throws IOException {
        byte[] content = Files.readAllBytes(logFile);
        LogSchema schema = schemaOf(content);
        return verify(content, ca, schema);
    }

    /** The schema whose first record type the log's first line names; the round log's when unclear. */
    static LogSchema schemaOf(byte[] content) {
        String head = new String(content, 0, Math.min(content.length, 64 * 1024), StandardCharsets.UTF_8);
        int nl = head.indexOf('\n');
        String first = nl < 0 ? head : head.substring(0, nl);
        if (first.contains("\"type\":\"" + EgressSchema.EGRESS_LOG.firstType() + "\"")) {
            return EgressSchema.EGRESS_LOG;
        }
        return RecordSchema.ROUND_LOG;
    }

    public static Verdict verify(byte[] content, X509Certificate ca, LogSchema schema) {
        int records = 0;
        String prev = RoundLog.GENESIS;
        X509Certificate signer = null;
        Map<String, X509Certificate> siteCerts = new java.util.HashMap<>();
        List<String> hashes = new java.util.ArrayList<>();
        long[] cosigned = {0};
        String federationId = null;
        int start = 0;
        int lineNo = 0;
        while (start < content.length) {
            lineNo++;
            int nl = indexOf(content, start);
            if (nl < 0) {
                return new Verdict(true, records, prev, 0, null, true, cosigned[0]);
            }
            byte[] line = Arrays.copyOfRange(content, start, nl);
            start = nl + 1;
            String problem;
            try {
                problem = check(line, records + 1, prev, signer, ca, schema);
            } catch (RuntimeException e) {
                problem = "cannot check the record: " + e;
            }
            Map<?, ?> record = problem == null ? readRecord(line) : null;
            if (problem == null && schema == RecordSchema.ROUND_LOG) {
                try {
                    problem = SiteSignatures.problem(record, siteCerts, ca);
                    if (problem == null) {
                        problem = SiteSignatures.headsProblem(record, siteCerts, hashes, cosigned);
                    }
                    if (problem == null && RecordSchema.FEDERATION_CREATED.equals(record.get("type"))) {
                        federationId = String.valueOf(record.get("federation_id"));
                    }
                    if (problem == null) {
                        problem = SurvivorSetSignatures.problem(record, federationId, siteCerts);
                    }
                } catch (RuntimeException e) {
                    problem = "cannot check the site's part of the record: " + e;
                }
            }
            if (problem != null) {
                return new Verdict(false, records, prev, lineNo, problem, false, cosigned[0]);
            }
            if (schema.introducesKey((String) record.get("type"))) {
                signer = parseCertificate((String) record.get(RecordSchema.CERT));
            }
            records++;
            prev = Sha256.hex(Sha256.of(line));
            hashes.add(prev);
        }
        if (records == 0) {
            return new Verdict(false, 0, prev, 1, "the log holds no records", false);
        }
        return new Verdict(true, records, prev, 0, null, false, cosigned[0]);
    }

    /** Why {@code line} is not record {@code seq} following {@code prev}, or null if it is. */
    private static Map<?, ?> readRecord(byte[] line) {
        try {
            return RoundLog.CANONICAL.readValue(body(line), Map.class);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String check(byte[] line, long seq, String prev, X509Certificate signer, X509Certificate ca,
                                LogSchema schema) {
        String text = new String(line, StandardCharsets.UTF_8);
        Matcher m = SIG_SUFFIX.matcher(text);
        if (!m.find()) {
            return "no signature: the record does not end with ,\"sig\":\"<base64>\"}";
        }
        byte[] body = body(line);
        Map<?, ?> record;
        try {
            record = RoundLog.CANONICAL.readValue(body, Map.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "not a JSON object: " + e.getOriginalMessage();
        } catch (IOException e) {
            return "not a JSON object: " + e.getMessage();
        }
        if (!(record.get("type") instanceof String type)) {
            return "no record type";
        }
        List<String> required = schema.required(type);
        if (required == null) {
            return "unknown record type '" + type + "'";
        }
        if (!(record.get("time") instanceof String timeText)) {
            return "no time";
        }
        Instant time;
        try {
            time = Instant.parse(timeText);
        } catch (DateTimeParseException e) {
            return "time '" + timeText + "' is not an ISO-8601 instant";
        }
        X509Certificate key = signer;
        if (schema.introducesKey(type)) {
            if (!(record.get(RecordSchema.CERT) instanceof String pem)) {
                return type + " record without the " + schema.signer() + " certificate";
            }
            try {
                key = parseCertificate(pem);
            } catch (RuntimeException e) {
                return "the embedded certificate cannot be read: " + e.getMessage();
            }
            String chain = chainProblem(key, ca, time, schema.signerKeyUsage(), schema.signer());
            if (chain != null) {
                return chain;
            }
        } else if (key == null) {
            return "the first record must be " + schema.firstType() + ", found " + type;
        }
        String bad = Signatures.problem(key.getPublicKey(), body, m.group(1),
                "the " + schema.signer() + " certificate " + key.getSubjectX500Principal());
        if (bad != null) {
            return bad;
        }
        if (!(record.get("seq") instanceof Number n) || n.longValue() != seq) {
            return "seq is " + record.get("seq") + ", expected " + seq + " (a record was removed, inserted or moved)";
        }
        if (!(record.get("prev") instanceof String p) || !HEX64.matcher(p).matches()) {
            return "prev is not a hex SHA-256";
        }
        if (!p.equals(prev)) {
            return "prev " + p + " is not the SHA-256 of the previous record (" + prev + "): the chain is broken";
        }
        if (schema.firstType().equals(type) && seq != 1) {
            return schema.firstType() + " may only be the first record";
        }
        for (String field : required) {
            if (!record.containsKey(field)) {
                return type + " record lacks the field '" + field + "'";
            }
        }
        return null;
    }

    /**
     * Why {@code cert} is not a certificate of {@code ca}, valid at {@code time}, for the extended key usage
     * {@code keyUsage} (the one a {@code signer} — coordinator, site — holds), or null if it is.
     */
    static String chainProblem(X509Certificate cert, X509Certificate ca, Instant time, String keyUsage,
                               String signer) {
        try {
            if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                return "the embedded certificate " + cert.getSubjectX500Principal() + " was issued by "
                        + cert.getIssuerX500Principal() + ", not by the CA " + ca.getSubjectX500Principal();
            }
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            return "the embedded certificate " + cert.getSubjectX500Principal()
                    + " is not signed by the CA " + ca.getSubjectX500Principal();
        }
        try {
            cert.checkValidity(Date.from(time));
            ca.checkValidity(Date.from(time));
        } catch (CertificateException e) {
            return "the embedded certificate or the CA was not valid at the record's time " + time;
        }
        try {
            List<String> usage = cert.getExtendedKeyUsage();
            if (usage == null || !usage.contains(keyUsage)) {
                return "the embedded certificate " + cert.getSubjectX500Principal()
                        + " is not a " + signer + " certificate (it lacks the extended key usage " + keyUsage + ")";
            }
        } catch (CertificateException e) {
            return "the embedded certificate's extended key usage cannot be read";
        }
        return null;
    }

    static X509Certificate parseCertificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The signed bytes: the line without its trailing {@code ,"sig":"..."} member, closed again. */
    private static byte[] body(byte[] line) {
        String text = new String(line, StandardCharsets.ISO_8859_1);
        int at = text.lastIndexOf(",\"sig\":\"");
        byte[] body = Arrays.copyOf(line, at + 1);
        body[at] = '}';
        return body;
    }

    private static int indexOf(byte[] content, int from) {
        for (int i = from; i < content.length; i++) {
            if (content[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
