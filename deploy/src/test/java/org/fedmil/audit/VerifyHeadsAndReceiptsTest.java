package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VerifyHeadsAndReceiptsTest {

    @TempDir
    Path tmp;

    private static String verify(FederationFixture f, String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", f.roundLog.toString(), "--ca", f.caFile.toString()));
        args.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args.toArray(String[]::new));
        return exit + "|" + out + err;
    }

    @Test
    void headsAndReceiptsThatMatchTheLogPrintOneOkLineEach() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        long records = LogRecords.readAll(f.roundLog).size();

        String out = verify(f, "--head", f.headFile.toString(), "--receipts", f.receipts("site-a").toString());

        assertThat(out).startsWith("0|OK: " + records + " records, chain and signatures verified, head ");
        assertThat(out).contains("head " + f.headFile + ": OK: record " + records + " (line " + records + ")");
        assertThat(out.lines().filter(l -> l.startsWith("receipt ") && l.contains(": OK: site site-a round ")))
                .hasSize(3);
        assertThat(out).doesNotContain("FAILED");
    }

    @Test
    void withoutHeadsOrReceiptsTheOutputIsTheSingleOkLine() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        assertThat(verify(f).lines().toList()).hasSize(1);
    }

    @Test
    void aHeadPastTheEndOfATruncatedLogIsReportedTruncatedWithTheMissingLine() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        long records = LogRecords.readAll(f.roundLog).size();
        f.truncateRoundLog((int) records - 3);

        String out = verify(f, "--head", f.headFile.toString());

        assertThat(out).startsWith("1|OK: " + (records - 3) + " records")
                .contains("head " + f.headFile + ": TRUNCATED: the head names record " + records + " (line " + records
                        + ", hash ", "the log holds only " + (records - 3) + " records")
                .contains("FAILED: 1 of 1 signed heads/receipts do not match the log");
    }

    @Test
    void aLogRewrittenWithTheCoordinatorKeyIsReportedForkedAtTheFirstChangedLine() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        long dropped = f.acceptedSeq("site-b", 1);
        f.rewriteRoundLogWithout(l -> l.seq() == dropped);

        String out = verify(f, "--head", f.headFile.toString(), "--receipts", f.receipts("site-b").toString());

        assertThat(out).startsWith("1|OK: ");
        // the head's record number is now past the end; site-b's round-1 receipt names a line that changed
        assertThat(out).contains("head " + f.headFile + ": TRUNCATED");
        assertThat(out).containsPattern("receipt \\S+round-1-\\w{12}\\.json: FORKED: line " + dropped + " hashes to ");
        assertThat(out).containsPattern("receipt \\S+round-3-\\w{12}\\.json: FORKED: line ");
    }

    @Test
    void aReceiptNamingAnotherRecordIsAMismatch() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        LogRecords.Line roundStarted = LogRecords.readAll(f.roundLog).ofType(RecordSchema.ROUND_STARTED).get(0);
        Path dir = tmp.resolve("odd-receipts");
        SignedStatement.sign(new Receipt(FederationFixture.FEDERATION, "site-a", 1,
                FederationFixture.deltaSha("site-a", 1), Instant.now().toString(), roundStarted.seq(),
                roundStarted.sha256()), f.coordinatorKey).write(dir.resolve("r.json"));

        String out = verify(f, "--receipts", dir.toString());

        assertThat(out).startsWith("1|").contains(": MISMATCH: line " + roundStarted.line()
                + " is a round_started record");
    }

    @Test
    void aHeadNotSignedByTheCoordinatorIsABadStatement() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        LogHead real = LogHead.parse(SignedStatement.read(f.headFile).statement());
        Path forged = tmp.resolve("forged-head.json");
        SignedStatement.sign(real, f.siteKeys.get("site-a")).write(forged);

        String out = verify(f, "--head", forged.toString());

        assertThat(out).startsWith("1|").contains("head " + forged + ": BAD_STATEMENT: bad signature");
    }

    @Test
    void eachHeadIsCheckedWithTheCoordinatorCertificateInForceAtItsRecord() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        Path before = tmp.resolve("head-before-restart.json");
        Files.copy(f.headFile, before);
        ConsortiumCa consortium = ConsortiumCa.load(tmp.resolve("pki"));
        // renewal: the operator moves the old credentials away; the fixture holds the old key in memory
        Files.move(tmp.resolve("pki/coordinator"), tmp.resolve("pki/coordinator.old"));
        PartyCredentials renewed = consortium.issueCoordinator(List.of("localhost"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        PrivateKey newKey = PemFiles.readPrivateKey(renewed.key());
        X509Certificate newCert = PemFiles.readCertificate(renewed.cert());
        Path after = tmp.resolve("head-after-restart.json");
        Path oldKeyAfter = tmp.resolve("old-key-after-restart.json");
        try (RoundLog log = RoundLog.open(f.roundLog, newKey, newCert)) {
            log.append(RecordSchema.COORDINATOR_RESTARTED, Map.of("federation_id", FederationFixture.FEDERATION,
                    "resumed", true, "next_round", 4));
            RoundLog.Entry at = log.head();
            LogHead head = new LogHead(FederationFixture.FEDERATION, at.seq(), at.sha256(), Instant.now().toString());
            log.sign(head).write(after);
            SignedStatement.sign(head, f.coordinatorKey).write(oldKeyAfter);
        }

        String out = verify(f, "--head", before.toString(), "--head", after.toString(), "--head",
                oldKeyAfter.toString());

        assertThat(out).contains("head " + before + ": OK", "head " + after + ": OK",
                "head " + oldKeyAfter + ": BAD_STATEMENT");
    }

    @Test
    void headsAndReceiptsAgainstASitesEgressLogAreAUsageError() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("verify", f.egressLog("site-a").toString(), "--ca", f.caFile.toString(), "--head",
                f.headFile.toString());
        assertThat(exit).isEqualTo(2);
        assertThat(out.toString()).startsWith("OK: ");
        assertThat(err.toString()).contains("is an egress log", "fedmil audit crosscheck");
    }
}
