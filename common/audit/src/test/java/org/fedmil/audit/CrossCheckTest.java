package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.audit.Disagreement.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrossCheckTest {

    @TempDir
    Path tmp;

    private CrossCheck.Result check(FederationFixture f, String site) throws Exception {
        return CrossCheck.run(f.roundLog, f.egressLog(site), f.receipts(site), f.ca);
    }

    private static List<Kind> kinds(CrossCheck.Result r) {
        return r.disagreements().stream().map(Disagreement::kind).toList();
    }

    private static String lines(CrossCheck.Result r) {
        return String.join("\n", r.disagreements().stream().map(Disagreement::line).toList());
    }

    @Test
    void aConsistentRoundLogAndEgressLogAgree() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        for (String site : FederationFixture.SITES) {
            CrossCheck.Result r = check(f, site);
            assertThat(r.disagreements()).as(lines(r)).isEmpty();
            assertThat(r.site()).isEqualTo(site);
        }
        CrossCheck.Result b = check(f, "site-b");
        // site-b sent three updates (one refused), got two receipts and three heads with its tasks (+ the kept file)
        assertThat(b.summary()).isEqualTo("OK: site site-b: 3 uploads, 2 receipts, 4 heads checked; 0 disagreements");
    }

    @Test
    void anAcceptedUpdateTheCoordinatorDeletedByRewritingItsLogIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        String sha = FederationFixture.deltaSha("site-a", 2);
        f.rewriteRoundLogWithout(l -> sha.equals(l.text("update_sha256"))
                && RecordSchema.UPDATE_ACCEPTED.equals(l.type()));
        assertThat(RoundLogVerifier.verify(f.roundLog, f.ca).ok()).as("the rewritten log verifies on its own").isTrue();

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).contains(Kind.ACCEPTED_UPDATE_NOT_IN_LOG, Kind.RECEIPT_DOES_NOT_MATCH, Kind.LOG_FORKED);
        Disagreement missing = r.disagreements().stream().filter(d -> d.kind() == Kind.ACCEPTED_UPDATE_NOT_IN_LOG)
                .findFirst().orElseThrow();
        assertThat(missing.line()).contains("site=site-a", "round=2", "sha256=" + sha);
        assertThat(r.disagreements()).filteredOn(d -> d.kind() == Kind.ACCEPTED_UPDATE_NOT_IN_LOG).hasSize(1);
        assertThat(lines(r)).contains("round-2-" + sha.substring(0, 12) + ".json: FORKED");
    }

    @Test
    void aTruncatedRoundLogIsReportedThroughReceiptsAndHeads() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        long keep = f.acceptedSeq("site-a", 3) - 1;
        f.truncateRoundLog((int) keep);
        assertThat(RoundLogVerifier.verify(f.roundLog, f.ca).ok()).isTrue();

        CrossCheck.Result r = check(f, "site-a");

        String sha = FederationFixture.deltaSha("site-a", 3);
        assertThat(kinds(r)).contains(Kind.ACCEPTED_UPDATE_NOT_IN_LOG, Kind.RECEIPT_DOES_NOT_MATCH);
        Disagreement receipt = r.disagreements().stream().filter(d -> d.kind() == Kind.RECEIPT_DOES_NOT_MATCH)
                .findFirst().orElseThrow();
        assertThat(receipt.line()).contains("site=site-a", "round=3", "sha256=" + sha, "TRUNCATED",
                "holds only " + keep + " records");
        // the head the site kept (received with round 3's task) was signed before the cut and still matches;
        // site-b's later receipt names a record past the cut as well
        assertThat(kinds(check(f, "site-b"))).contains(Kind.RECEIPT_DOES_NOT_MATCH);
    }

    @Test
    void aHeadTheSiteReceivedPastTheEndOfTheLogIsReportedAsTruncation() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        // keep only the records up to round 1's aggregation: the head received with round 3's task is past it
        LogRecords all = LogRecords.readAll(f.roundLog);
        long round1 = all.ofType(RecordSchema.ROUND_AGGREGATED).get(0).seq();
        f.truncateRoundLog((int) round1);

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).contains(Kind.LOG_TRUNCATED);
        assertThat(lines(r)).contains("LOG_TRUNCATED site=site-a", "the round log holds only " + round1);
    }

    @Test
    void anAcceptedUpdateTheSiteNeverSentIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp);
        f.notLoggedBySite.add("site-b/3");
        f.run();

        CrossCheck.Result r = check(f, "site-b");

        String sha = FederationFixture.deltaSha("site-b", 3);
        assertThat(kinds(r)).containsExactly(Kind.UPDATE_NEVER_SENT);
        assertThat(r.disagreements().get(0).line()).startsWith("UPDATE_NEVER_SENT site=site-b round=3 sha256=" + sha)
                .contains("never sent an UploadUpdate for round 3");
        assertThat(check(f, "site-a").disagreements()).isEmpty();
    }

    @Test
    void aReceiptFileAlteredByOneByteIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        String sha = FederationFixture.deltaSha("site-a", 1);
        Path receipt = f.siteState("site-a").resolve(FederationFixture.receiptFile(1, sha));
        String text = Files.readString(receipt, StandardCharsets.UTF_8);
        // one digit of the receipt's time, inside the signed statement
        int at = text.indexOf("\\\"time\\\":\\\"") + 12;
        char c = text.charAt(at);
        Files.writeString(receipt, text.substring(0, at) + (c == '1' ? '2' : '1') + text.substring(at + 1),
                StandardCharsets.UTF_8);

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).containsExactly(Kind.RECEIPT_DOES_NOT_MATCH);
        assertThat(r.disagreements().get(0).line()).contains("site=site-a", "round=1", "sha256=" + sha,
                "BAD_STATEMENT", "bad signature");
    }

    @Test
    void aReceiptTheEgressLogRecordedWhoseFileIsGoneIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        String sha = FederationFixture.deltaSha("site-b", 1);
        Files.delete(f.siteState("site-b").resolve(FederationFixture.receiptFile(1, sha)));

        CrossCheck.Result r = check(f, "site-b");

        assertThat(kinds(r)).containsExactly(Kind.RECEIPT_FILE_MISSING);
        assertThat(r.disagreements().get(0).line()).contains("site=site-b", "round=1", "sha256=" + sha);
    }

    @Test
    void aSignedStatementThatDiffersFromWhatTheSiteLoggedSendingIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp);
        f.sentBagsDiffer.add("site-a/2");
        f.run();

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).containsExactly(Kind.STATEMENT_DIFFERS);
        assertThat(r.disagreements().get(0).line()).contains("site=site-a", "round=2",
                "training bags 30 signed, 35 sent");
    }

    @Test
    void aCoordinatorCertificateOtherThanTheLogsSignerIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp);
        f.loggedCoordinatorFingerprint = "AB:".repeat(31) + "AB";
        f.run();

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).containsExactly(Kind.COORDINATOR_CERTIFICATE_DIFFERS);
        assertThat(r.disagreements().get(0).line()).contains("AB:AB:AB");
    }

    @Test
    void aReceiptFileReplacedByAnotherValidReceiptIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        String sha1 = FederationFixture.deltaSha("site-a", 1);
        String sha2 = FederationFixture.deltaSha("site-a", 2);
        Path first = f.siteState("site-a").resolve(FederationFixture.receiptFile(1, sha1));
        Files.copy(f.siteState("site-a").resolve(FederationFixture.receiptFile(2, sha2)), first,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        CrossCheck.Result r = check(f, "site-a");

        assertThat(kinds(r)).containsExactly(Kind.RECEIPT_DOES_NOT_MATCH);
        assertThat(r.disagreements().get(0).line()).contains("site=site-a", "round=1", "sha256=" + sha1,
                "the file was replaced");
    }

    @Test
    void anotherSitesReceiptsAreReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();

        CrossCheck.Result r = CrossCheck.run(f.roundLog, f.egressLog("site-a"), f.receipts("site-b"), f.ca);

        assertThat(kinds(r)).containsOnly(Kind.RECEIPT_DOES_NOT_MATCH);
        assertThat(lines(r)).contains("a receipt for site 'site-b' among site site-a's receipts");
    }

    @Test
    void anEgressLogSignedByAnotherSitesCertificateIsReported() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        Path forged = tmp.resolve("forged/egress-log.jsonl");
        try (RoundLog e = RoundLog.open(forged, f.siteKeys.get("site-b"), f.siteCerts.get("site-b"),
                EgressSchema.EGRESS_LOG)) {
            e.append(EgressSchema.EGRESS_LOG_OPENED, java.util.Map.of("site", "site-a"));
        }

        CrossCheck.Result r = CrossCheck.run(f.roundLog, forged, null, f.ca);

        assertThat(lines(r)).contains("LOG_DOES_NOT_VERIFY site=site-a: the egress log names site 'site-a' but is "
                + "signed by the certificate of 'site-b'");
    }
}
