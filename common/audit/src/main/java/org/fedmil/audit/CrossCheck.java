package org.fedmil.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedmil.pki.Certificates;

/**
 * Holds a site's egress log (what the site says it sent, and the receipts and heads it got back) against the
 * coordinator's round log (what the coordinator says it received). Each log is signed by its own party, so where
 * they disagree one of the two parties, or someone with its key, is not telling the truth; the list of
 * {@link Disagreement}s says where.
 *
 * <p>One state folder may serve several federations (the privacy ledger spans them all), so its egress log holds
 * the messages of each: only those of the round log's federation are compared. A line belongs to the federation of
 * the head or countersignature most recently recorded before it since the agent started (the site's own
 * {@code site_heads} name it exactly), or, before the first of those, of the first one after it in the same run of
 * the agent (its Join); lines of a run without any are compared, as older egress logs have no other marker.
 */
public final class CrossCheck {

    /** The RPC whose {@code sent} record carries an update's header. */
    static final String UPLOAD_RPC = "UploadUpdate";
    static final String OK_OUTCOME = "OK";

    /**
     * @param uploads  UploadUpdate messages the egress log shows sent
     * @param receipts receipt files checked
     * @param heads    log heads checked (received heads recorded in the egress log, and head files)
     */
    public record Result(String site, List<Disagreement> disagreements, int uploads, int receipts, int heads) {

        public boolean agree() {
            return disagreements.isEmpty();
        }

        public String summary() {
            return (agree() ? "OK: " : "DISAGREE: ") + "site " + site + ": " + uploads + " uploads, " + receipts
                    + " receipts, " + heads + " heads checked; " + disagreements.size() + " disagreements";
        }
    }

    /** An UploadUpdate the egress log shows sent: its header as the site described it before sending. */
    private record Sent(LogRecords.Line line, Map<String, Object> content) {

        Long round() {
            return content.get("round") instanceof Number n ? n.longValue() : null;
        }

        String deltaSha256() {
            return content.get("delta_sha256") instanceof String s ? s : null;
        }
    }

    private final LogRecords roundLog;
    private final LogRecords egress;
    private final Path stateDir;
    private final String site;
    private final Set<Disagreement> found = new LinkedHashSet<>();
    private int receipts;
    private int heads;
    /** The federation each egress line belongs to, by line number; absent when no marker preceded it. */
    private final Map<Integer, String> federationOfLine = new java.util.HashMap<>();

    private CrossCheck(LogRecords roundLog, LogRecords egress, Path stateDir) {
        this.roundLog = roundLog;
        this.egress = egress;
        this.stateDir = stateDir;
        this.site = egress.lines().isEmpty() ? null : egress.lines().get(0).text("site");
        String current = null;
        for (LogRecords.Line l : egress.lines()) {
            String type = l.type();
            if (EgressSchema.AGENT_STARTED.equals(type) || EgressSchema.EGRESS_LOG_OPENED.equals(type)) {
                current = null;
            } else if (EgressSchema.LOG_HEAD_RECEIVED.equals(type) && l.text("federation_id") != null) {
                current = l.text("federation_id");
            } else if (EgressSchema.SENT.equals(type)) {
                SiteHeads h = siteHeadsOf(l);
                if (h != null) {
                    current = h.federationId();
                }
            }
            if (current != null) {
                federationOfLine.put(l.line(), current);
            }
        }
        // a line before the first marker of its agent's run (the Join) belongs to the federation that run served
        String next = null;
        List<LogRecords.Line> lines = egress.lines();
        for (int i = lines.size() - 1; i >= 0; i--) {
            LogRecords.Line l = lines.get(i);
            String known = federationOfLine.get(l.line());
            if (known != null) {
                next = known;
            } else if (next != null) {
                federationOfLine.put(l.line(), next);
            }
            if (EgressSchema.AGENT_STARTED.equals(l.type()) || EgressSchema.EGRESS_LOG_OPENED.equals(l.type())) {
                next = null;
            }
        }
    }

    /** The site's countersigned heads a sent update carried, or null. */
    private static SiteHeads siteHeadsOf(LogRecords.Line sent) {
        Map<String, Object> content = sent.map("content");
        if (content != null && content.get("site_heads") instanceof Map<?, ?> m
                && m.get("statement") instanceof String text) {
            try {
                return SiteHeads.parse(text);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /** True unless the egress line is known to belong to another federation than the round log's. */
    private boolean ours(LogRecords.Line l) {
        String f = federationOfLine.get(l.line());
        return f == null || f.equals(roundLog.federationId());
    }

    /**
     * Verifies both logs and compares them.
     *
     * @param receiptsDir the site's receipts folder (every {@code *.json} under it is checked), or null
     * @throws IllegalArgumentException if the files are not a round log and an egress log
     */
    public static Result run(Path roundLogFile, Path egressFile, Path receiptsDir, X509Certificate ca)
            throws IOException {
        RoundLogVerifier.Verdict rv = RoundLogVerifier.verify(roundLogFile, ca);
        RoundLogVerifier.Verdict ev = RoundLogVerifier.verify(egressFile, ca);
        LogRecords roundLog = LogRecords.read(roundLogFile, rv.records());
        LogRecords egress = LogRecords.read(egressFile, ev.records());
        if (RoundLogVerifier.schemaOf(Files.readAllBytes(roundLogFile)) != RecordSchema.ROUND_LOG) {
            throw new IllegalArgumentException(roundLogFile + " is not a round log (its first record is not "
                    + "federation_created); give the coordinator's round-log.jsonl as --log");
        }
        if (egress.schema() != EgressSchema.EGRESS_LOG) {
            throw new IllegalArgumentException(egressFile + " is not an egress log (its first record is not "
                    + "egress_log_opened); give the site's egress-log.jsonl as --egress");
        }
        CrossCheck c = new CrossCheck(roundLog, egress, egressFile.toAbsolutePath().getParent());
        if (!rv.ok()) {
            c.add(Disagreement.Kind.LOG_DOES_NOT_VERIFY, null, null, null, "round log " + roundLogFile + " line "
                    + rv.firstBadLine() + ": " + rv.problem() + "; compared its first " + rv.records() + " records");
        }
        if (!ev.ok()) {
            c.add(Disagreement.Kind.LOG_DOES_NOT_VERIFY, c.site, null, null, "egress log " + egressFile + " line "
                    + ev.firstBadLine() + ": " + ev.problem() + "; compared its first " + ev.records() + " records");
        }
        c.signerIsTheSite();
        int uploads = c.updates();
        c.coordinatorCertificate();
        c.receipts(receiptsDir);
        c.heads();
        c.egressAnchors();
        c.found.addAll(UnmaskReveals.compare(c.roundLog, c.egress, c.site, c::ours));
        return new Result(c.site, List.copyOf(c.found), uploads, c.receipts, c.heads);
    }

    /** The egress log speaks for the site its first record names only if that site's certificate signs it. */
    private void signerIsTheSite() {
        for (X509Certificate cert : egress.signers()) {
            String cn = org.fedmil.tls.PeerIdentity.of(cert).commonName();
            if (!cn.equals(site)) {
                add(Disagreement.Kind.LOG_DOES_NOT_VERIFY, site, null, null, "the egress log names site '" + site
                        + "' but is signed by the certificate of '" + cn + "': it is not that site's log");
            }
        }
    }

    private void add(Disagreement.Kind kind, String site, Long round, String sha256, String message) {
        found.add(new Disagreement(kind, site, round == null ? null : round.intValue(), sha256, message));
    }

    private List<Sent> sent() {
        List<Sent> sent = new ArrayList<>();
        for (LogRecords.Line l : egress.ofType(EgressSchema.SENT)) {
            if (UPLOAD_RPC.equals(l.text("rpc")) && ours(l)) {
                Map<String, Object> content = l.map("content");
                sent.add(new Sent(l, content == null ? Map.of() : content));
            }
        }
        return sent;
    }

    /** Uploads the site saw accepted against the log, and the log's accepted updates against what was sent. */
    private int updates() {
        List<Sent> sent = sent();
        List<LogRecords.Line> accepted = roundLog.ofType(RecordSchema.UPDATE_ACCEPTED).stream()
                .filter(l -> Objects.equals(site, l.text("site"))).toList();
        Set<String> seen = new java.util.HashSet<>();
        for (LogRecords.Line ended : egress.ofType(EgressSchema.UPLOAD_STREAM_ENDED)) {
            if (!ours(ended)) {
                continue;
            }
            Long round = ended.number("round");
            String sha = ended.text("update_sha256");
            // a retried upload the coordinator answered OK twice (it keeps one copy) is one update
            if (!OK_OUTCOME.equals(ended.text("outcome")) || !seen.add(round + "/" + sha)) {
                continue;
            }
            boolean inLog = accepted.stream().anyMatch(a -> Objects.equals(round, a.number("round"))
                    && Objects.equals(sha, a.text("update_sha256")));
            if (!inLog) {
                add(Disagreement.Kind.ACCEPTED_UPDATE_NOT_IN_LOG, site, round, sha, "egress log line "
                        + ended.line() + ": the upload ended OK (the coordinator took it), but the round log has no "
                        + "update_accepted from " + site + " for round " + round + " with this hash");
            }
        }
        for (LogRecords.Line a : accepted) {
            Long round = a.number("round");
            String sha = a.text("update_sha256");
            Sent match = sent.stream().filter(s -> Objects.equals(round, s.round())
                    && Objects.equals(sha, s.deltaSha256())).findFirst().orElse(null);
            if (match == null) {
                add(Disagreement.Kind.UPDATE_NEVER_SENT, site, round, sha, "round log line " + a.line()
                        + " (record " + a.seq() + ") says the coordinator accepted this update from " + site
                        + ", but the site's egress log never sent an UploadUpdate for round " + round
                        + " with this delta_sha256");
                continue;
            }
            statement(a, match);
        }
        return sent.size();
    }

    /** The statement the site signed, as the round log holds it, against the header the site logged sending. */
    private void statement(LogRecords.Line accepted, Sent sent) {
        Long round = accepted.number("round");
        String sha = accepted.text("update_sha256");
        String where = "round log line " + accepted.line() + " vs egress log line " + sent.line().line() + ": ";
        UpdateStatement st;
        try {
            st = UpdateStatement.parse(accepted.text("site_statement"));
        } catch (RuntimeException e) {
            add(Disagreement.Kind.STATEMENT_DIFFERS, site, round, sha, where + "the site statement cannot be read: "
                    + e.getMessage());
            return;
        }
        Map<String, Object> c = sent.content();
        List<String> diffs = new ArrayList<>();
        differs(diffs, "round", st.round(), c.get("round"));
        differs(diffs, "training bags", st.trainingBags(), c.get("num_training_bags"));
        differs(diffs, "base model version", st.baseModelVersion(), c.get("base_model_version"));
        if (c.containsKey("base_model_sha256") && !st.baseModelSha256().equals(c.get("base_model_sha256"))) {
            diffs.add("base model sha256 " + st.baseModelSha256() + " signed, " + c.get("base_model_sha256")
                    + " sent");
        }
        if (c.containsKey("total_bytes")) {
            differs(diffs, "update bytes", st.updateBytes(), c.get("total_bytes"));
        }
        Object sentPrivacy = c.get("privacy");
        if (st.privacy().isPresent() != (sentPrivacy instanceof Map<?, ?> m && !m.isEmpty())) {
            diffs.add("privacy " + (st.privacy().isPresent() ? "claimed" : "not claimed") + " in the signed "
                    + "statement, " + (sentPrivacy == null ? "none" : sentPrivacy) + " sent");
        } else if (st.privacy().isPresent()) {
            Map<?, ?> p = (Map<?, ?>) sentPrivacy;
            st.privacy().get().fields().forEach((k, v) -> differs(diffs, "privacy " + k, v, p.get(k)));
        }
        if (c.get("site_signature") instanceof String hex && accepted.text("site_sig") != null) {
            try {
                byte[] logged = HexFormat.of().parseHex(hex);
                byte[] signed = Base64.getDecoder().decode(accepted.text("site_sig"));
                if (!java.util.Arrays.equals(logged, signed)) {
                    diffs.add("the site signature in the round log is not the one the site sent");
                }
            } catch (IllegalArgumentException e) {
                diffs.add("the site signature cannot be compared: " + e.getMessage());
            }
        }
        if (!diffs.isEmpty()) {
            add(Disagreement.Kind.STATEMENT_DIFFERS, site, round, sha, where + String.join("; ", diffs));
        }
    }

    private static void differs(List<String> diffs, String what, Object signed, Object sent) {
        boolean same = signed instanceof Number a && sent instanceof Number b
                ? a.doubleValue() == b.doubleValue() : Objects.equals(signed, sent);
        if (!same) {
            diffs.add(what + " " + signed + " signed, " + sent + " sent");
        }
    }

    /** Every message went to a coordinator whose certificate the round log names as its signer. */
    private void coordinatorCertificate() {
        Set<String> logged = new LinkedHashSet<>();
        for (X509Certificate c : roundLog.signers()) {
            logged.add(Certificates.sha256Fingerprint(c));
        }
        Set<String> reported = new LinkedHashSet<>();
        for (LogRecords.Line l : egress.ofType(EgressSchema.SENT)) {
            String fp = l.text("coordinator_fingerprint");
            if (fp != null && ours(l) && !logged.contains(fp.toUpperCase(java.util.Locale.ROOT)) && reported.add(fp)) {
                add(Disagreement.Kind.COORDINATOR_CERTIFICATE_DIFFERS, site, null, null, "egress log line "
                        + l.line() + ": the site sent to " + l.text("coordinator") + " with certificate " + fp
                        + ", but the round log is signed by " + logged + ": the site talked to another "
                        + "coordinator, or the round log is not that coordinator's");
            }
        }
    }

    /** Receipts the egress log recorded, then every other statement file in the receipts folder. */
    private void receipts(Path receiptsDir) throws IOException {
        AnchorCheck anchors = new AnchorCheck(roundLog);
        Set<Path> checked = new LinkedHashSet<>();
        Map<Path, LogRecords.Line> recorded = new TreeMap<>();
        for (LogRecords.Line r : egress.ofType(EgressSchema.RECEIPT_RECEIVED)) {
            if (!ours(r)) {
                continue;
            }
            Path file = stateDir.resolve(String.valueOf(r.text("receipt_file"))).toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) {
                add(Disagreement.Kind.RECEIPT_FILE_MISSING, site, r.number("round"), r.text("update_sha256"),
                        "egress log line " + r.line() + " recorded a receipt in " + file + " but the file is "
                                + "missing; restore it from a backup of the site's state folder");
                continue;
            }
            recorded.put(file, r);
        }
        List<Path> files = new ArrayList<>(recorded.keySet());
        if (receiptsDir != null) {
            try (Stream<Path> s = Files.walk(receiptsDir)) {
                s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".json"))
                        .map(p -> p.toAbsolutePath().normalize()).sorted().forEach(files::add);
            }
        }
        for (Path file : files) {
            if (!checked.add(file) || otherFederation(file)) {
                continue;
            }
            AnchorCheck.Result result = anchors.check(file);
            if ("head".equals(result.what())) {
                heads++;
                if (!result.ok()) {
                    Disagreement.Kind kind = switch (result.status()) {
                        case TRUNCATED -> Disagreement.Kind.LOG_TRUNCATED;
                        case FORKED -> Disagreement.Kind.LOG_FORKED;
                        default -> Disagreement.Kind.HEAD_DOES_NOT_VERIFY;
                    };
                    add(kind, site, null, null, "head file " + file + ": " + result.status() + ": "
                            + result.message());
                }
                continue;
            }
            receipts++;
            LogRecords.Line r = recorded.get(file);
            Long round = r == null ? null : r.number("round");
            String sha = r == null ? null : r.text("update_sha256");
            if (result.ok()) {
                String odd = receiptDiffers(file, r);
                if (odd != null) {
                    add(Disagreement.Kind.RECEIPT_DOES_NOT_MATCH, site, round, sha, "receipt " + file + ": " + odd);
                }
                continue;
            }
            if (r == null) {
                try {
                    Receipt parsed = Receipt.parse(SignedStatement.read(file).statement());
                    round = (long) parsed.round();
                    sha = parsed.updateSha256();
                } catch (IOException | RuntimeException e) {
                    // an unreadable receipt names no round or hash; the message says what is wrong
                }
            }
            add(Disagreement.Kind.RECEIPT_DOES_NOT_MATCH, site, round, sha, "receipt " + file + ": "
                    + result.status() + ": " + result.message());
        }
    }

    /**
     * Why a receipt that matches the round log is still not the one the site logged receiving (another site's,
     * another update's), or null.
     */
    private String receiptDiffers(Path file, LogRecords.Line recorded) {
        Receipt r;
        try {
            r = Receipt.parse(SignedStatement.read(file).statement());
        } catch (IOException | RuntimeException e) {
            return null; // the anchor check already read it
        }
        if (!r.site().equals(site)) {
            return "a receipt for site '" + r.site() + "' among site " + site + "'s receipts; give the site's own "
                    + "receipts folder";
        }
        if (recorded == null) {
            return null;
        }
        if (!Long.valueOf(r.round()).equals(recorded.number("round"))
                || !r.updateSha256().equals(recorded.text("update_sha256"))
                || !Long.valueOf(r.logSeq()).equals(recorded.number("log_seq"))
                || !r.logRecordSha256().equals(recorded.text("log_record_sha256"))) {
            return "the file holds the receipt for round " + r.round() + " update " + r.updateSha256() + " (record "
                    + r.logSeq() + "), egress log line " + recorded.line() + " recorded round "
                    + recorded.number("round") + " update " + recorded.text("update_sha256") + " (record "
                    + recorded.number("log_seq") + "): the file was replaced";
        }
        return null;
    }

    /** True for a receipt or head file that names another federation than the round log's. */
    private boolean otherFederation(Path file) {
        try {
            Map<?, ?> m = Statement.CANONICAL.readValue(SignedStatement.read(file).statement(), Map.class);
            return m.get("federation_id") instanceof String f && !f.equals(roundLog.federationId());
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: the anchor check says what is wrong with it
        }
    }

    /**
     * The egress-log heads the site countersigned, as the round log keeps them: the egress log must still hold that
     * record with that hash, so records dropped from its end (or a rewritten egress log) are found from outside.
     */
    private void egressAnchors() {
        for (LogRecords.Line a : roundLog.ofType(RecordSchema.UPDATE_ACCEPTED)) {
            if (!Objects.equals(site, a.text("site")) || a.text("site_heads") == null) {
                continue;
            }
            SiteHeads h;
            try {
                h = SiteHeads.parse(a.text("site_heads"));
            } catch (IllegalArgumentException e) {
                continue; // `audit verify` reports a countersignature that cannot be read
            }
            heads++;
            var line = egress.at(h.egressRecords());
            if (line.isEmpty()) {
                add(Disagreement.Kind.EGRESS_TRUNCATED, site, (long) h.round(), h.egressLastSha256(), "round log "
                        + "line " + a.line() + ": " + site + " countersigned its egress log at " + h.egressRecords()
                        + " records, the egress log holds only " + egress.size() + ": records were dropped from its "
                        + "end");
            } else if (!line.get().sha256().equals(h.egressLastSha256())) {
                add(Disagreement.Kind.EGRESS_FORKED, site, (long) h.round(), h.egressLastSha256(), "round log line "
                        + a.line() + ": " + site + " countersigned egress record " + h.egressRecords() + " as "
                        + h.egressLastSha256() + ", the egress log's line " + line.get().line() + " hashes to "
                        + line.get().sha256() + ": the egress log was rewritten");
            }
        }
    }

    /** Every head the site recorded receiving: the round log must still hold that record with that hash. */
    private void heads() {
        for (LogRecords.Line h : egress.ofType(EgressSchema.LOG_HEAD_RECEIVED)) {
            if (h.text("federation_id") != null && !h.text("federation_id").equals(roundLog.federationId())) {
                continue; // another federation this state folder served: its own round log is the one to compare
            }
            heads++;
            Long records = h.number("records");
            String sha = h.text("last_sha256");
            if (records == null) {
                continue;
            }
            if (!Objects.equals(roundLog.federationId(), h.text("federation_id"))) {
                add(Disagreement.Kind.HEAD_DOES_NOT_VERIFY, site, null, sha, "egress log line " + h.line()
                        + ": a head of federation '" + h.text("federation_id") + "', the round log is of '"
                        + roundLog.federationId() + "'");
                continue;
            }
            var line = roundLog.at(records);
            if (line.isEmpty()) {
                add(Disagreement.Kind.LOG_TRUNCATED, site, null, sha, "egress log line " + h.line() + ": the site "
                        + "received a head naming " + records + " records, the round log holds only "
                        + roundLog.size() + ": its end was cut off");
            } else if (!line.get().sha256().equals(sha)) {
                add(Disagreement.Kind.LOG_FORKED, site, null, sha, "egress log line " + h.line() + ": the site "
                        + "received a head naming record " + records + " with this hash, the round log's line "
                        + line.get().line() + " hashes to " + line.get().sha256() + ": the log was rewritten");
            }
        }
    }
}
