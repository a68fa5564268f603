package org.fedmil.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Holds signed statements the coordinator gave out (published log heads, receipts for accepted updates) against
 * its round log. A hash chain cannot show that its last records were cut off or that the whole log was rewritten
 * with the same key; a statement someone else kept can: the log must still hold the record it names, with the
 * same hash.
 */
public final class AnchorCheck {

    /** How a statement compares with the log. */
    public enum Status {
        /** The statement verifies and the log holds the record it names, with that hash. */
        OK,
        /** The log holds fewer records than the statement names: its end was cut off. */
        TRUNCATED,
        /** The log holds a different record at that seq: it was rewritten after the statement was signed. */
        FORKED,
        /** The record is there but is not the one the receipt speaks of (another site, round or update). */
        MISMATCH,
        /** The statement's signature does not verify, or it is not a statement of this federation. */
        BAD_STATEMENT,
        /** The file cannot be read as a signed statement. */
        UNREADABLE
    }

    /**
     * The outcome for one statement file.
     *
     * @param what "head" or "receipt"
     * @param seq  the record the statement names (0 if unreadable)
     */
    public record Result(Path file, String what, Status status, long seq, String message) {

        public boolean ok() {
            return status == Status.OK;
        }

        /** One line for the command's output. */
        public String line() {
            return what + " " + file + ": " + status + ": " + message;
        }
    }

    private final LogRecords log;

    public AnchorCheck(LogRecords log) {
        this.log = log;
    }

    /** Checks a file holding a signed head or receipt, telling them apart by the statement's kind. */
    public Result check(Path file) {
        SignedStatement signed;
        try {
            signed = SignedStatement.read(file);
        } catch (IOException e) {
            return new Result(file, "statement", Status.UNREADABLE, 0, e.getMessage()
                    + "; give a round-log.head.json or a receipt file written by FedMIL");
        }
        if (signed.statement().contains("\"kind\":\"" + LogHead.KIND + "\"")) {
            return checkHead(file, signed);
        }
        if (signed.statement().contains("\"kind\":\"" + ModelCard.KIND + "\"")) {
            return checkModelCard(file, signed);
        }
        return checkReceipt(file, signed);
    }

    /** Checks every {@code *.json} file under {@code dir} (recursively), in path order. */
    public List<Result> checkAll(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".json"))
                    .sorted().toList();
        }
        List<Result> results = new ArrayList<>();
        for (Path f : files) {
            results.add(check(f));
        }
        return results;
    }

    Result checkHead(Path file, SignedStatement signed) {
        LogHead head;
        try {
            head = LogHead.parse(signed.statement());
        } catch (IllegalArgumentException e) {
            return new Result(file, "head", Status.UNREADABLE, 0, "not a log head: " + e.getMessage());
        }
        String bad = signatureProblem(signed, head.records(), head.federationId());
        if (bad != null) {
            return new Result(file, "head", Status.BAD_STATEMENT, head.records(), bad);
        }
        return compare(file, "head", head.records(), head.lastSha256(), "the head");
    }

    /** A model card names the log record it was signed at, as a head does. */
    Result checkModelCard(Path file, SignedStatement signed) {
        ModelCard card;
        try {
            card = ModelCard.parse(signed.statement());
        } catch (IllegalArgumentException e) {
            return new Result(file, "model card", Status.UNREADABLE, 0, "not a model card: " + e.getMessage());
        }
        String bad = signatureProblem(signed, card.logRecords(), card.federationId());
        if (bad != null) {
            return new Result(file, "model card", Status.BAD_STATEMENT, card.logRecords(), bad);
        }
        return compare(file, "model card", card.logRecords(), card.logLastSha256(), "the model card");
    }

    Result checkReceipt(Path file, SignedStatement signed) {
        Receipt r;
        try {
            r = Receipt.parse(signed.statement());
        } catch (IllegalArgumentException e) {
            return new Result(file, "receipt", Status.UNREADABLE, 0, "not a receipt or log head: " + e.getMessage());
        }
        String bad = signatureProblem(signed, r.logSeq(), r.federationId());
        if (bad != null) {
            return new Result(file, "receipt", Status.BAD_STATEMENT, r.logSeq(), "site " + r.site() + " round "
                    + r.round() + " update " + r.updateSha256() + ": " + bad);
        }
        Result at = compare(file, "receipt", r.logSeq(), r.logRecordSha256(), "the receipt for site " + r.site()
                + " round " + r.round() + " update " + r.updateSha256());
        if (!at.ok()) {
            return at;
        }
        LogRecords.Line line = log.at(r.logSeq()).orElseThrow();
        boolean same = RecordSchema.UPDATE_ACCEPTED.equals(line.type()) && r.site().equals(line.text("site"))
                && Long.valueOf(r.round()).equals(line.number("round"))
                && r.updateSha256().equals(line.text("update_sha256"));
        if (!same) {
            return new Result(file, "receipt", Status.MISMATCH, r.logSeq(), "line " + line.line() + " is a "
                    + line.type() + " record (site " + line.text("site") + ", round " + line.number("round")
                    + "), not the update_accepted of site " + r.site() + " round " + r.round() + " update "
                    + r.updateSha256() + " the receipt names");
        }
        return new Result(file, "receipt", Status.OK, r.logSeq(), "site " + r.site() + " round " + r.round()
                + " update " + r.updateSha256() + " is record " + r.logSeq() + " (line " + line.line() + ")");
    }

    /** The statement must be signed by the coordinator certificate in force at the record it names. */
    private String signatureProblem(SignedStatement signed, long seq, String federationId) {
        Optional<X509Certificate> cert = log.signerAt(seq);
        if (cert.isEmpty()) {
            return "the log introduces no coordinator certificate to check the signature with";
        }
        String bad = signed.problem(cert.get().getPublicKey(), "the coordinator certificate "
                + cert.get().getSubjectX500Principal() + " in force at record " + seq);
        if (bad != null) {
            return bad;
        }
        String id = log.federationId();
        if (id != null && !id.equals(federationId)) {
            return "signed for federation '" + federationId + "', the log is of federation '" + id + "'";
        }
        return null;
    }

    private Result compare(Path file, String what, long seq, String sha256, String subject) {
        Optional<LogRecords.Line> line = log.at(seq);
        if (line.isEmpty()) {
            return new Result(file, what, Status.TRUNCATED, seq, subject + " names record " + seq + " (line " + seq
                    + ", hash " + sha256 + ") but the log holds only " + log.size() + " records: its end was cut "
                    + "off; keep this file and ask the coordinator's operator for the full log");
        }
        if (!line.get().sha256().equals(sha256)) {
            return new Result(file, what, Status.FORKED, seq, "line " + line.get().line() + " hashes to "
                    + line.get().sha256() + ", " + subject + " says " + sha256 + ": the log was rewritten after "
                    + "the statement was signed; keep this file as evidence");
        }
        return new Result(file, what, Status.OK, seq, "record " + seq + " (line " + line.get().line()
                + ") has hash " + sha256);
    }
}
