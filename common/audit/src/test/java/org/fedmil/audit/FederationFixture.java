package org.fedmil.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.util.Sha256;

/**
 * A small federation played out on disk: a consortium CA, a coordinator writing its round log, signed heads and
 * receipts, and two sites (site-a, site-b) each writing an egress log and keeping what the coordinator gave them,
 * the way the coordinator and the site agent do. Three rounds; site-b's round-2 update is refused; every update
 * carries privacy fields. Knobs make one party misbehave.
 */
final class FederationFixture {

    static final String FEDERATION = "fed-1";
    static final List<String> SITES = List.of("site-a", "site-b");
    static final int ROUNDS = 3;
    static final String REFUSAL_REASON = "the delta's L2 norm 12.0 exceeds 10.0 </td><script>alert('x')</script>";

    final Path dir;
    final Path caFile;
    final X509Certificate ca;
    final PrivateKey coordinatorKey;
    final X509Certificate coordinatorCert;
    final Map<String, PrivateKey> siteKeys = new TreeMap<>();
    final Map<String, X509Certificate> siteCerts = new TreeMap<>();
    final Path roundLog;
    final Path headFile;

    /** "site/round" of updates the site's egress log does not show sent although the round log accepts them. */
    final Set<String> notLoggedBySite = new HashSet<>();
    /** "site/round" of updates whose sent header the site logs with a different training-bag count. */
    final Set<String> sentBagsDiffer = new HashSet<>();
    /** The fingerprint the sites log for the coordinator, if not the real one. */
    String loggedCoordinatorFingerprint;
    /** Extra records the coordinator writes (a refusal from a site with a hostile name, a site leaving). */
    boolean hostileStrings;

    /** Accepted updates: "site/round" to update hash. */
    final Map<String, String> updates = new LinkedHashMap<>();

    private FederationFixture(Path dir) throws IOException {
        this.dir = dir;
        ConsortiumCa consortium = ConsortiumCa.init(dir.resolve("pki"), "Test Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        ca = consortium.certificate();
        caFile = dir.resolve("pki/ca/ca.pem");
        PartyCredentials coordinator = consortium.issueCoordinator(List.of("localhost"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        coordinatorKey = PemFiles.readPrivateKey(coordinator.key());
        coordinatorCert = PemFiles.readCertificate(coordinator.cert());
        for (String site : SITES) {
            PartyCredentials c = consortium.issueSite(site, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            siteKeys.put(site, PemFiles.readPrivateKey(c.key()));
            siteCerts.put(site, PemFiles.readCertificate(c.cert()));
        }
        roundLog = dir.resolve("coordinator/round-log.jsonl");
        headFile = dir.resolve("coordinator/round-log.head.json");
    }

    static FederationFixture pki(Path dir) throws IOException {
        return new FederationFixture(dir);
    }

    Path siteState(String site) {
        return dir.resolve(site);
    }

    Path egressLog(String site) {
        return siteState(site).resolve("egress-log.jsonl");
    }

    Path receipts(String site) {
        return siteState(site).resolve("receipts");
    }

    static String deltaSha(String site, int round) {
        return Sha256.hex(Sha256.of(("delta " + site + " " + round).getBytes(StandardCharsets.UTF_8)));
    }

    static String modelSha(int version) {
        return Sha256.hex(Sha256.of(("model " + version).getBytes(StandardCharsets.UTF_8)));
    }

    static long bags(String site) {
        return "site-a".equals(site) ? 30 : 20;
    }

    static double epsilon(String site, int round) {
        return ("site-a".equals(site) ? 0.5 : 0.4) * round;
    }

    static double auc(int round) {
        return 0.5 + 0.1 * round;
    }

    static boolean refused(String site, int round) {
        return "site-b".equals(site) && round == 2;
    }

    /** Plays the federation out. */
    FederationFixture run() throws IOException {
        Map<String, RoundLog> egress = new TreeMap<>();
        try (RoundLog log = RoundLog.open(roundLog, coordinatorKey, coordinatorCert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", FEDERATION, "rounds", ROUNDS,
                    "min_sites", 2, "model", "attention-mil", "dp", Map.of("clip_norm", 1.0, "noise_multiplier",
                            1.1)));
            log.append(RecordSchema.INITIAL_MODEL, Map.of("model_version", 0, "model_sha256", modelSha(0),
                    "heldout", heldout(auc(0))));
            SignedStatement head = publish(log);
            int joined = 0;
            for (String site : SITES) {
                RoundLog e = RoundLog.open(egressLog(site), siteKeys.get(site), siteCerts.get(site),
                        EgressSchema.EGRESS_LOG);
                egress.put(site, e);
                e.append(EgressSchema.EGRESS_LOG_OPENED, Map.of("site", site));
                sent(e, "Join", Map.of("site", site, "total_bags", bags(site)));
                log.append(RecordSchema.SITE_JOINED, Map.of("site", site, "joined_sites", ++joined, "min_sites", 2,
                        "bags", bags(site), "software_version", "0.1.0",
                        "site_cert", PemFiles.encodeCertificate(siteCerts.get(site))));
            }
            if (hostileStrings) {
                log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", "<script>evil()</script>", "round", 1,
                        "code", "NOT_A_MEMBER", "reason", "unknown site <b>&</b>"));
            }
            for (int round = 1; round <= ROUNDS; round++) {
                log.append(RecordSchema.ROUND_STARTED, Map.of("round", round, "participants", SITES.size()));
                List<String> aggregated = new ArrayList<>();
                long trainingBags = 0;
                for (String site : SITES) {
                    RoundLog e = egress.get(site);
                    received(e, site, head);
                    if (update(log, e, site, round)) {
                        aggregated.add(site);
                        trainingBags += bags(site);
                    }
                }
                log.append(RecordSchema.ROUND_AGGREGATED, Map.of("round", round, "model_version", round,
                        "model_sha256", modelSha(round), "sites", aggregated, "training_bags", trainingBags,
                        "heldout", heldout(auc(round))));
                head = publish(log);
            }
            if (hostileStrings) {
                log.append(RecordSchema.SITE_LEFT, Map.of("site", "site-b", "reason",
                        "policy <i>budget</i> spent \"done\""));
            }
            log.append(RecordSchema.FEDERATION_FINISHED, Map.of("reason", "all rounds done"));
            publish(log);
        } finally {
            egress.values().forEach(RoundLog::close);
        }
        return this;
    }

    private static Map<String, Object> heldout(double auc) {
        return Map.of("n", 40, "auc", auc, "accuracy", 0.7, "sensitivity", 0.6, "specificity", 0.8, "loss", 0.5);
    }

    private SignedStatement publish(RoundLog log) throws IOException {
        RoundLog.Entry at = log.head();
        SignedStatement signed = log.sign(new LogHead(FEDERATION, at.seq(), at.sha256(), Instant.now().toString()));
        signed.write(headFile);
        return signed;
    }

    /** A site receives a head with its task: keeps it and logs it. */
    private void received(RoundLog e, String site, SignedStatement head) throws IOException {
        LogHead h = LogHead.parse(head.statement());
        String file = "receipts/" + FEDERATION + "/log-head.json";
        head.write(siteState(site).resolve(file));
        e.append(EgressSchema.LOG_HEAD_RECEIVED, Map.of("federation_id", h.federationId(), "records", h.records(),
                "last_sha256", h.lastSha256(), "head_file", file));
    }

    /** One upload: returns true if the coordinator accepted it. */
    private boolean update(RoundLog log, RoundLog e, String site, int round) throws IOException {
        String key = site + "/" + round;
        String sha = deltaSha(site, round);
        PrivacyClaim privacy = new PrivacyClaim(1.0, 1.1, 1.0, 1e-5, epsilon(site, round));
        UpdateStatement st = new UpdateStatement(FEDERATION, site, round, round - 1, modelSha(round - 1), sha,
                bags(site), 4096, Optional.of(privacy));
        SignedStatement signed = SignedStatement.sign(st, siteKeys.get(site));
        boolean logged = !notLoggedBySite.contains(key);
        if (logged) {
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("round", round);
            content.put("base_model_version", round - 1);
            content.put("base_model_sha256", modelSha(round - 1));
            content.put("delta_sha256", sha);
            content.put("num_training_bags", sentBagsDiffer.contains(key) ? bags(site) + 5 : bags(site));
            content.put("total_bytes", 4096);
            content.put("privacy", privacy.fields());
            content.put("site_signature", HexFormat.of().formatHex(
                    java.util.Base64.getDecoder().decode(signed.sig())));
            sent(e, CrossCheck.UPLOAD_RPC, content);
        }
        if (refused(site, round)) {
            log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", site, "round", round, "code", "NORM_EXCEEDED",
                    "reason", REFUSAL_REASON));
            if (logged) {
                e.append(EgressSchema.UPLOAD_STREAM_ENDED, Map.of("round", round, "update_sha256", sha,
                        "from_offset", 0, "data_bytes", 4096, "outcome", "FAILED_PRECONDITION"));
            }
            return false;
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", site);
        f.put("round", round);
        f.put("update_sha256", sha);
        f.put("training_bags", bags(site));
        f.put("train_loss", 0.4);
        f.put("l2_norm", 2.5 + round);
        f.put("site_statement", signed.statement());
        f.put("site_sig", signed.sig());
        f.put("privacy", privacy.fields());
        RoundLog.Entry at = log.appendRecord(RecordSchema.UPDATE_ACCEPTED, f);
        updates.put(key, sha);
        SignedStatement receipt = log.sign(new Receipt(FEDERATION, site, round, sha, Instant.now().toString(),
                at.seq(), at.sha256()));
        if (logged) {
            e.append(EgressSchema.UPLOAD_STREAM_ENDED, Map.of("round", round, "update_sha256", sha, "from_offset", 0,
                    "data_bytes", 4096, "outcome", "OK"));
            String file = receiptFile(round, sha);
            receipt.write(siteState(site).resolve(file));
            e.append(EgressSchema.RECEIPT_RECEIVED, Map.of("round", round, "update_sha256", sha, "log_seq", at.seq(),
                    "log_record_sha256", at.sha256(), "receipt_file", file));
        }
        return true;
    }

    static String receiptFile(int round, String sha) {
        return "receipts/" + FEDERATION + "/round-" + round + "-" + sha.substring(0, 12) + ".json";
    }

    private void sent(RoundLog e, String rpc, Map<String, Object> content) {
        String fingerprint = loggedCoordinatorFingerprint != null ? loggedCoordinatorFingerprint
                : Certificates.sha256Fingerprint(coordinatorCert);
        byte[] message = content.toString().getBytes(StandardCharsets.UTF_8);
        e.append(EgressSchema.SENT, Map.of("rpc", rpc, "coordinator", "localhost:7443", "coordinator_fingerprint",
                fingerprint, "message_bytes", message.length, "message_sha256", Sha256.hex(Sha256.of(message)),
                "content", content));
    }

    /**
     * The coordinator (or whoever holds its key) rewrites its whole log without the records {@code drop} selects
     * and signs it again: the result verifies on its own, only heads and receipts given out before can show it.
     */
    void rewriteRoundLogWithout(Predicate<LogRecords.Line> drop) throws IOException {
        LogRecords old = LogRecords.readAll(roundLog);
        Path rewritten = roundLog.resolveSibling("rewritten.jsonl");
        try (RoundLog log = RoundLog.open(rewritten, coordinatorKey, coordinatorCert)) {
            for (LogRecords.Line l : old.lines()) {
                if (drop.test(l)) {
                    continue;
                }
                Map<String, Object> fields = new TreeMap<>(l.fields());
                RecordSchema.ENVELOPE.forEach(fields::remove);
                fields.remove(RecordSchema.CERT);
                log.append(l.type(), fields);
            }
        }
        Files.move(rewritten, roundLog, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Cuts the round log after its first {@code keep} records, as someone deleting its end would. */
    void truncateRoundLog(int keep) throws IOException {
        List<String> lines = Files.readAllLines(roundLog, StandardCharsets.UTF_8);
        Files.writeString(roundLog, String.join("\n", lines.subList(0, keep)) + "\n", StandardCharsets.UTF_8);
    }

    /** The 1-based record number of the update_accepted for this site and round. */
    long acceptedSeq(String site, int round) throws IOException {
        return LogRecords.readAll(roundLog).ofType(RecordSchema.UPDATE_ACCEPTED).stream()
                .filter(l -> site.equals(l.text("site")) && Long.valueOf(round).equals(l.number("round")))
                .findFirst().orElseThrow().seq();
    }
}
