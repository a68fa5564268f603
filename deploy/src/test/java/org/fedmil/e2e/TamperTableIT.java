package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.AuditCommand;
import org.fedmil.audit.RoundLog;
import org.fedmil.audit.Signatures;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.audit.LedgerReconciliation;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The tamper table of docs/auditor-guide.md, row by row, on the files of one real federation (a coordinator and two
 * DP sites on loopback, three rounds): each test tampers with a copy of the real file the way the row says and runs
 * the command the row names, with only the consortium CA certificate.
 */
class TamperTableIT {

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TestFederation fed;
    private static Path roundLog;
    private static Path caFile;
    private static PrivateKey coordinatorKey;
    private static X509Certificate coordinatorCert;
    private static PartyCredentials otherCoordinator;

    @TempDir
    Path work;

    @BeforeAll
    static void runAFederation() throws Exception {
        Path data = TestFederation.synthetic(dir, 2, 30, 40);
        fed = new TestFederation(dir, data, 2, 3, new CoordinatorConfig.Model("attention", "mlp", 32, 16, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                        new CoordinatorConfig.Dp(1.0, 1.0)));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (String site : List.of("site-1", "site-2")) {
                SiteConfig config = fed.siteConfig(site, fed.site(site));
                runs.add(pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(new ByteArrayOutputStream(), true,
                            StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                }));
            }
            for (Future<Integer> r : runs) {
                assertThat(r.get(5, TimeUnit.MINUTES)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();
        roundLog = fed.coordinator.store().dir().resolve(Coordinator.ROUND_LOG);
        caFile = dir.resolve("pki").resolve("ca").resolve("ca.pem");
        assertThat(caFile).exists();
        Path coordinatorPki = dir.resolve("pki").resolve("coordinator");
        coordinatorKey = PemFiles.readPrivateKey(coordinatorPki.resolve("key.pem"));
        coordinatorCert = PemFiles.readCertificate(coordinatorPki.resolve("cert.pem"));
        // the CA issues into pki/coordinator and never over existing credentials: set the real ones aside meanwhile
        Path aside = dir.resolve("pki").resolve("coordinator-real");
        Files.move(coordinatorPki, aside);
        PartyCredentials issued = fed.ca.issueCoordinator(List.of("other-coordinator.example.org"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        Path other = dir.resolve("pki").resolve("coordinator-other");
        Files.move(coordinatorPki, other);
        Files.move(aside, coordinatorPki);
        otherCoordinator = new PartyCredentials(other, other.resolve(issued.key().getFileName().toString()),
                other.resolve(issued.cert().getFileName().toString()), issued.ca());
    }

    @AfterAll
    static void stop() throws Exception {
        if (fed != null) {
            fed.close();
        }
    }

    private static String audit(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return exit + "|" + out + err;
    }

    private Path copyOfRoundLog() throws Exception {
        Path copy = work.resolve("round-log.jsonl");
        Files.copy(roundLog, copy);
        return copy;
    }

    private Path copyOfState(String site) throws Exception {
        Path from = fed.stateDir(site);
        Path copy = work.resolve(site + "-state");
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path to = copy.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return copy;
    }

    private static List<String> lines(Path file) throws Exception {
        return new ArrayList<>(Files.readAllLines(file));
    }

    private static void write(Path file, List<String> lines) throws Exception {
        Files.writeString(file, String.join("\n", lines) + "\n");
    }

    private String verify(Path log) {
        return audit("verify", log.toString(), "--ca", caFile.toString());
    }

    private String crosscheck(Path log, Path state) {
        return audit("crosscheck", "--log", log.toString(), "--egress", state.resolve("egress-log.jsonl").toString(),
                "--ca", caFile.toString());
    }

    /** The index of the first update_accepted line that carries a site's countersignature. */
    private static int firstCosignedUpdate(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("\"type\":\"update_accepted\"") && lines.get(i).contains("\"site_heads\"")) {
                return i;
            }
        }
        throw new AssertionError("no update_accepted record carries site_heads");
    }

    @Test
    void theUntouchedFilesPassEveryCommandAndTheSitesCountersignedTheLog() throws Exception {
        String v = verify(roundLog);
        assertThat(v).startsWith("0|OK: ").contains("; the sites countersigned the first ");
        for (String site : List.of("site-1", "site-2")) {
            assertThat(crosscheck(roundLog, fed.stateDir(site))).startsWith("0|");
        }
    }

    @Test
    void byteFlipIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        int i = firstCosignedUpdate(l);
        l.set(i, l.get(i).replaceFirst("\"training_bags\":(\\d)", "\"training_bags\":9$1"));
        write(log, l);
        assertThat(verify(log)).startsWith("1|line " + (i + 1) + ": ");
    }

    @Test
    void deleteIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        l.remove(3);
        write(log, l);
        assertThat(verify(log)).startsWith("1|line 4: seq is 5, expected 4");
    }

    @Test
    void swapIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        Collections.swap(l, 3, 4);
        write(log, l);
        assertThat(verify(log)).startsWith("1|line 4: seq is 5, expected 4");
    }

    @Test
    void insertIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        l.add(4, l.get(3));
        write(log, l);
        assertThat(verify(log)).startsWith("1|line 5: seq is 4, expected 5");
    }

    @Test
    void truncationPassesVerifyButNotCrosscheckWithAnySitesEgressLog() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        // cut off the last round: from its first accepted update on
        int lastRound = 0;
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).contains("\"type\":\"round_started\"")) {
                lastRound = i;
            }
        }
        write(log, l.subList(0, lastRound + 1));
        assertThat(verify(log)).startsWith("0|OK: " + (lastRound + 1) + " records")
                .contains("are vouched for by the coordinator alone");
        assertThat(crosscheck(log, fed.stateDir("site-1"))).startsWith("1|").contains("LOG_TRUNCATED");
    }

    @Test
    void aTornTailIsWarnedAboutByVerifyAndCaughtByCrosscheck() throws Exception {
        Path log = copyOfRoundLog();
        byte[] content = Files.readAllBytes(log);
        List<String> l = lines(log);
        int keep = firstCosignedUpdate(l) + 1;
        int cut = 0;
        for (int i = 0; i < keep; i++) {
            cut += l.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
        }
        // the next record half written, as a crash (or a cut made to look like one) leaves it
        Files.write(log, java.util.Arrays.copyOf(content, cut + 40));
        assertThat(verify(log)).startsWith("0|OK: " + keep + " records").contains("is torn");
        assertThat(crosscheck(log, fed.stateDir("site-2"))).startsWith("1|").contains("LOG_TRUNCATED");
    }

    /** Every record re-signed with {@code key}, the chain rebuilt and {@code cert} embedded: a complete rewrite. */
    private static void resign(Path log, PrivateKey key, X509Certificate cert) throws Exception {
        String pem = PemFiles.encodeCertificate(cert);
        List<String> out = new ArrayList<>();
        String prev = RoundLog.GENESIS;
        for (String line : Files.readAllLines(log)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> record = new TreeMap<>(CANONICAL.readValue(line, Map.class));
            record.remove("sig");
            record.put("prev", prev);
            if (record.containsKey("cert")) {
                record.put("cert", pem);
            }
            byte[] body = CANONICAL.writeValueAsBytes(record);
            String text = new String(body, StandardCharsets.UTF_8);
            String signed = text.substring(0, text.length() - 1) + ",\"sig\":\"" + Signatures.sign(key, body) + "\"}";
            out.add(signed);
            prev = Sha256.hex(Sha256.of(signed.getBytes(StandardCharsets.UTF_8)));
        }
        write(log, out);
    }

    @Test
    void aFullRewriteResignedWithAnotherCoordinatorCertificateIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        resign(log, PemFiles.readPrivateKey(otherCoordinator.key()), PemFiles.readCertificate(otherCoordinator.cert()));
        int first = firstCosignedUpdate(lines(log));
        assertThat(verify(log)).startsWith("1|line " + (first + 1) + ": site '")
                .contains("countersigned record");
    }

    @Test
    void aFullRewriteResignedWithTheRealCoordinatorKeyIsCaughtByVerify() throws Exception {
        Path log = copyOfRoundLog();
        List<String> l = lines(log);
        // the rewrite: an accepted update's training bags lowered, then every record signed again, chain rebuilt
        int i = firstCosignedUpdate(l);
        l.set(i, l.get(i).replaceFirst("\"train_loss\":[0-9.Ee-]+", "\"train_loss\":0.1"));
        write(log, l);
        resign(log, coordinatorKey, coordinatorCert);
        String v = verify(log);
        assertThat(v).startsWith("1|line ").contains("countersigned record").contains("rewritten");
    }

    @Test
    void droppedEgressRecordsPassVerifyOfTheEgressLogButNotCrosscheck() throws Exception {
        Path state = copyOfState("site-1");
        Path egress = state.resolve("egress-log.jsonl");
        List<String> l = lines(egress);
        // the site's last two uploads and everything after them: the round log holds the egress head the site
        // countersigned with its last upload, which lies in the part that was dropped
        List<Integer> uploads = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).contains("\"rpc\":\"UploadUpdate\"")) {
                uploads.add(i);
            }
        }
        int cut = uploads.get(uploads.size() - 2);
        write(egress, l.subList(0, cut));
        assertThat(verify(egress)).startsWith("0|OK: " + cut + " records");
        assertThat(crosscheck(roundLog, state)).startsWith("1|").contains("EGRESS_TRUNCATED")
                .contains("records were dropped from its end");
    }

    private SiteConfig siteWithState(String site, Path state) throws Exception {
        SiteConfig c = fed.siteConfig(site, fed.site(site));
        return new SiteConfig(c.coordinator(), c.tls(), c.dataDir(), c.device(), c.pollWaitMs(),
                c.connectTimeoutSeconds(), state, c.augmentation(), c.policy()).withValidation(c.validation());
    }

    @Test
    void aHandEditedLedgerIsRefusedAtAgentStart() throws Exception {
        Path state = copyOfState("site-1");
        Path ledger = state.resolve(PrivacyLedger.FILE_NAME);
        ObjectNode root = (ObjectNode) JSON.readTree(ledger.toFile());
        ArrayNode releases = (ArrayNode) root.get("releases");
        // the careful edit: the middle release removed, cumulative RDP recomputed as two releases at σ = 1
        releases.remove(1);
        ArrayNode rdp = root.putArray("rdp");
        PrivacyLedger fresh = PrivacyLedger.open(work.resolve("scratch.json"), 1e-5);
        fresh.charge("x", 1, "a".repeat(64), 1, 1.0);
        fresh.charge("x", 2, "b".repeat(64), 1, 1.0);
        JSON.readTree(work.resolve("scratch.json").toFile()).get("rdp").forEach(rdp::add);
        Files.write(ledger, JSON.writeValueAsBytes(root));

        assertThatThrownBy(() -> new SiteAgent(siteWithState("site-1", state), System.out).close())
                .isInstanceOf(LedgerReconciliation.Mismatch.class)
                .hasMessageContaining("release 2 names prev").hasMessageContaining("Restore privacy-ledger.json");
    }

    @Test
    void aDeletedLedgerIsRefusedAtAgentStart() throws Exception {
        Path state = copyOfState("site-2");
        Files.delete(state.resolve(PrivacyLedger.FILE_NAME));

        assertThatThrownBy(() -> new SiteAgent(siteWithState("site-2", state), System.out).close())
                .isInstanceOf(LedgerReconciliation.Mismatch.class)
                .hasMessageContaining("is missing").hasMessageContaining("held 3 releases");
    }

    @Test
    void aLedgerRolledBackToAnOlderCopyIsRefusedAtAgentStart() throws Exception {
        Path state = copyOfState("site-2");
        Path ledger = state.resolve(PrivacyLedger.FILE_NAME);
        ObjectNode root = (ObjectNode) JSON.readTree(ledger.toFile());
        ArrayNode releases = (ArrayNode) root.get("releases");
        releases.remove(2);
        ArrayNode rdp = root.putArray("rdp");
        PrivacyLedger fresh = PrivacyLedger.open(work.resolve("scratch.json"), 1e-5);
        fresh.charge("x", 1, "a".repeat(64), 1, 1.0);
        fresh.charge("x", 2, "b".repeat(64), 1, 1.0);
        JSON.readTree(work.resolve("scratch.json").toFile()).get("rdp").forEach(rdp::add);
        Files.write(ledger, JSON.writeValueAsBytes(root));

        assertThatThrownBy(() -> new SiteAgent(siteWithState("site-2", state), System.out).close())
                .isInstanceOf(LedgerReconciliation.Mismatch.class)
                .hasMessageContaining("holds only 2 releases").hasMessageContaining("rolled back");
    }
}
