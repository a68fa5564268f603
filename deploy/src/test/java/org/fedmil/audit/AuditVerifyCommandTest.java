package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fedmil audit verify} on a plain round log: the auditor's one line for an intact, a torn and a broken log.
 * The verdicts themselves are pinned by the audit library's RoundLogTest; this is what the command prints and exits.
 */
class AuditVerifyCommandTest {

    @TempDir
    Path tmp;

    private X509Certificate cert;
    private PrivateKey key;
    private Path logFile;
    private String siteAPem;
    private String siteBPem;

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa consortium = ConsortiumCa.init(tmp.resolve("pki"), "Test Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials coordinator = consortium.issueCoordinator(List.of("localhost"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        siteAPem = Files.readString(consortium.issueSite("site-a", ConsortiumCa.DEFAULT_PARTY_VALIDITY).cert());
        siteBPem = Files.readString(consortium.issueSite("site-b", ConsortiumCa.DEFAULT_PARTY_VALIDITY).cert());
        key = PemFiles.readPrivateKey(coordinator.key());
        cert = PemFiles.readCertificate(coordinator.cert());
        logFile = tmp.resolve("round-log.jsonl");
    }

    /** A small federation's log: 7 records. */
    private void writeLog() {
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "f1", "rounds", 1, "min_sites", 2));
            log.append(RecordSchema.INITIAL_MODEL, Map.of("model_version", 0, "model_sha256", "ab".repeat(32),
                    "heldout", Map.of("auc", 0.5, "accuracy", 0.5, "n", 40)));
            log.append(RecordSchema.SITE_JOINED, Map.of("site", "site-a", "joined_sites", 1, "min_sites", 2,
                    "bags", 30, "site_cert", siteAPem));
            log.append(RecordSchema.SITE_JOINED, Map.of("site", "site-b", "joined_sites", 2, "min_sites", 2,
                    "bags", 20, "site_cert", siteBPem));
            log.append(RecordSchema.ROUND_STARTED, Map.of("round", 1, "participants", 2));
            log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", "site-b", "round", 1, "code", "NORM_EXCEEDED",
                    "reason", "the delta's L2 norm 12.0 exceeds 10.0"));
            log.append(RecordSchema.ROUND_AGGREGATED, Map.of("round", 1, "model_version", 1, "model_sha256",
                    "cd".repeat(32), "sites", List.of("site-a"), "training_bags", 30,
                    "heldout", Map.of("auc", 0.75, "accuracy", 0.7, "n", 40)));
        }
    }

    private List<byte[]> lines() throws IOException {
        String text = Files.readString(logFile, StandardCharsets.ISO_8859_1);
        List<byte[]> lines = new ArrayList<>();
        for (String l : text.split("\n")) {
            lines.add(l.getBytes(StandardCharsets.ISO_8859_1));
        }
        return lines;
    }

    private void writeLines(List<byte[]> lines) throws IOException {
        StringBuilder b = new StringBuilder();
        for (byte[] l : lines) {
            b.append(new String(l, StandardCharsets.ISO_8859_1)).append('\n');
        }
        Files.writeString(logFile, b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void theVerifyCommandPrintsOkTheBadLineOrTheTornWarning() throws Exception {
        writeLog();
        Path caFile = tmp.resolve("pki/ca/ca.pem");
        assertThat(cli(caFile)).startsWith("0|OK: 7 records, chain and signatures verified, head ");

        byte[] whole = Files.readAllBytes(logFile);
        Files.write(logFile, Arrays.copyOf(whole, whole.length - 10));
        String torn = cli(caFile);
        assertThat(torn).startsWith("0|OK: 6 records").contains("WARNING: line 7 is torn");

        List<byte[]> lines = lines().subList(0, 6);
        lines.remove(2);
        writeLines(lines);
        assertThat(cli(caFile)).startsWith("1|line 3: seq is 4, expected 3");
    }

    private String cli(Path caFile) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("verify", logFile.toString(), "--ca", caFile.toString());
        return exit + "|" + out + err;
    }
}
