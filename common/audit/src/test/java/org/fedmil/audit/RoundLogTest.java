package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RoundLogVerifier.Verdict;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoundLogTest {

    private static final Duration VALIDITY = ConsortiumCa.DEFAULT_PARTY_VALIDITY;

    @TempDir
    Path tmp;

    private X509Certificate ca;
    private PrivateKey key;
    private X509Certificate cert;
    private Path logFile;
    private PartyCredentials siteA;
    private PartyCredentials siteB;
    private String siteAPem;
    private String siteBPem;

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa consortium = ConsortiumCa.init(tmp.resolve("pki"), "Test Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials coordinator = consortium.issueCoordinator(List.of("localhost"), VALIDITY);
        siteA = consortium.issueSite("site-a", VALIDITY);
        siteAPem = Files.readString(siteA.cert());
        siteB = consortium.issueSite("site-b", VALIDITY);
        siteBPem = Files.readString(siteB.cert());
        ca = consortium.certificate();
        key = PemFiles.readPrivateKey(coordinator.key());
        cert = PemFiles.readCertificate(coordinator.cert());
        logFile = tmp.resolve("round-log.jsonl");
    }

    /** Writes a small federation's log: 7 records. */
    private void writeFederation(RoundLog log) {
        log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "f1", "rounds", 1, "min_sites", 2));
        log.append(RecordSchema.INITIAL_MODEL, Map.of("model_version", 0, "model_sha256", "ab".repeat(32),
                "heldout", Map.of("auc", 0.5, "accuracy", 0.5, "n", 40)));
        log.append(RecordSchema.SITE_JOINED, Map.of("site", "site-a", "joined_sites", 1, "min_sites", 2, "bags", 30,
                "site_cert", siteAPem));
        log.append(RecordSchema.SITE_JOINED, Map.of("site", "site-b", "joined_sites", 2, "min_sites", 2, "bags", 20,
                "site_cert", siteBPem));
        log.append(RecordSchema.ROUND_STARTED, Map.of("round", 1, "participants", 2));
        log.append(RecordSchema.UPDATE_REFUSED, Map.of("site", "site-b", "round", 1, "code", "NORM_EXCEEDED",
                "reason", "the delta's L2 norm 12.0 exceeds 10.0"));
        log.append(RecordSchema.ROUND_AGGREGATED, Map.of("round", 1, "model_version", 1, "model_sha256",
                "cd".repeat(32), "sites", List.of("site-a"), "training_bags", 30,
                "heldout", Map.of("auc", 0.75, "accuracy", 0.7, "n", 40)));
    }

    private void writeLog() {
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            writeFederation(log);
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

    private Verdict verify() throws IOException {
        return RoundLogVerifier.verify(logFile, ca);
    }

    @Test
    void anUntouchedLogVerifies() throws Exception {
        writeLog();
        Verdict v = verify();
        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.records()).isEqualTo(7);
        assertThat(v.tornLastLine()).isFalse();
        List<byte[]> lines = lines();
        assertThat(v.head()).isEqualTo(Sha256.hex(Sha256.of(lines.get(6))));
        String first = new String(lines.get(0), StandardCharsets.UTF_8);
        assertThat(first).contains("\"prev\":\"" + RoundLog.GENESIS + "\"").contains("BEGIN CERTIFICATE")
                .contains("\"seq\":1");
    }

    @Test
    void flippingAnySingleByteFailsAtThatLine() throws Exception {
        writeLog();
        byte[] original = Files.readAllBytes(logFile);
        List<byte[]> lines = lines();
        int offset = 0;
        for (int lineNo = 1; lineNo <= lines.size(); lineNo++) {
            byte[] line = lines.get(lineNo - 1);
            // every byte of the short records; a spread of bytes (cert, prev, sig, values) of those holding a
            // certificate (the coordinator's, the sites')
            int step = new String(line, StandardCharsets.ISO_8859_1).contains("BEGIN CERTIFICATE") ? 5 : 1;
            for (int i = 0; i < line.length; i += step) {
                byte[] tampered = original.clone();
                tampered[offset + i] ^= 0x01;
                Files.write(logFile, tampered);
                Verdict v = verify();
                assertThat(v.ok()).as("byte %d of line %d flipped", i, lineNo).isFalse();
                assertThat(v.firstBadLine()).as("byte %d of line %d flipped: %s", i, lineNo, v.problem())
                        .isEqualTo(lineNo);
            }
            offset += line.length + 1;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"prev\":\"", "\"site\":\"site-", "\"sig\":\"M"})
    void flippingAByteInPrevValueOrSignatureNamesTheProblem(String marker) throws Exception {
        writeLog();
        List<byte[]> lines = lines();
        byte[] line = lines.get(3);
        String text = new String(line, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(marker) + marker.length();
        line[at] = (byte) (line[at] == 'a' ? 'b' : 'a');
        writeLines(lines);
        Verdict v = verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(4);
        assertThat(v.problem()).containsAnyOf("bad signature", "not canonical base64");
    }

    @Test
    void deletingAMiddleRecordFailsAtTheNextLine() throws Exception {
        writeLog();
        List<byte[]> lines = lines();
        lines.remove(3);
        writeLines(lines);
        Verdict v = verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(4);
        assertThat(v.problem()).contains("seq is 5, expected 4");
        assertThat(v.records()).isEqualTo(3);
    }

    @Test
    void deletingTheFirstRecordFailsAtLineOne() throws Exception {
        writeLog();
        List<byte[]> lines = lines();
        lines.remove(0);
        writeLines(lines);
        Verdict v = verify();
        assertThat(v.firstBadLine()).isEqualTo(1);
        assertThat(v.problem()).contains("first record must be federation_created");
    }

    @Test
    void swappingTwoRecordsFailsAtTheFirstOfThem() throws Exception {
        writeLog();
        List<byte[]> lines = lines();
        byte[] third = lines.get(2);
        lines.set(2, lines.get(4));
        lines.set(4, third);
        writeLines(lines);
        Verdict v = verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(3);
        assertThat(v.problem()).contains("seq is 5, expected 3");
    }

    @Test
    void aRecordSignedByAnotherKeyFails() throws Exception {
        writeLog();
        // a forger with another EC key rebuilds the chain from line 4 on with correct seq and prev
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        PrivateKey other = g.generateKeyPair().getPrivate();
        List<byte[]> lines = lines();
        Path forged = tmp.resolve("forged.jsonl");
        writeLines(lines.subList(0, 3));
        Files.copy(logFile, forged);
        try (RoundLog log = RoundLog.open(forged, other, cert)) {
            log.append(RecordSchema.SITE_JOINED, Map.of("site", "mallory", "joined_sites", 3, "min_sites", 2,
                    "bags", 1));
        }
        List<byte[]> forgedLines = new ArrayList<>(lines);
        forgedLines.add(3, Files.readAllLines(forged, StandardCharsets.ISO_8859_1).get(3)
                .getBytes(StandardCharsets.ISO_8859_1));
        writeLines(forgedLines);
        Verdict v = verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(4);
        assertThat(v.problem()).startsWith("bad signature");
    }

    @Test
    void aLogWhoseFirstRecordIsSignedByAnotherKeyFailsAtLineOne() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        try (RoundLog log = RoundLog.open(logFile, g.generateKeyPair().getPrivate(), cert)) {
            writeFederation(log);
        }
        Verdict v = verify();
        assertThat(v.firstBadLine()).isEqualTo(1);
        assertThat(v.problem()).startsWith("bad signature");
    }

    @Test
    void aCertificateFromAnotherCaFailsAtLineOne() throws Exception {
        ConsortiumCa otherCa = ConsortiumCa.init(tmp.resolve("other-pki"), "Other Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials otherCoordinator = otherCa.issueCoordinator(List.of("localhost"), VALIDITY);
        siteAPem = Files.readString(otherCa.issueSite("site-a", VALIDITY).cert());
        siteBPem = Files.readString(otherCa.issueSite("site-b", VALIDITY).cert());
        try (RoundLog log = RoundLog.open(logFile, PemFiles.readPrivateKey(otherCoordinator.key()),
                PemFiles.readCertificate(otherCoordinator.cert()))) {
            writeFederation(log);
        }
        Verdict v = verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(1);
        assertThat(v.problem()).contains("not by the CA");
        // and the same log verifies against its own CA
        assertThat(RoundLogVerifier.verify(logFile, otherCa.certificate()).ok()).isTrue();
    }

    @Test
    void aSiteCertificateOfTheSameCaIsNotACoordinator() throws Exception {
        PartyCredentials site = siteA;
        try (RoundLog log = RoundLog.open(logFile, PemFiles.readPrivateKey(site.key()),
                PemFiles.readCertificate(site.cert()))) {
            writeFederation(log);
        }
        Verdict v = verify();
        assertThat(v.firstBadLine()).isEqualTo(1);
        assertThat(v.problem()).contains("not a coordinator certificate");
    }

    @Test
    void aTornLastLineIsReportedAsTornWhileEarlierRecordsVerify() throws Exception {
        writeLog();
        byte[] whole = Files.readAllBytes(logFile);
        byte[] torn = Arrays.copyOf(whole, whole.length - 40);
        Files.write(logFile, torn);
        Verdict v = verify();
        assertThat(v.ok()).isTrue();
        assertThat(v.tornLastLine()).isTrue();
        assertThat(v.records()).isEqualTo(6);
        assertThat(v.firstBadLine()).isZero();
    }

    @Test
    void reopeningCutsATornLineAndContinuesTheChain() throws Exception {
        writeLog();
        byte[] whole = Files.readAllBytes(logFile);
        Files.write(logFile, Arrays.copyOf(whole, whole.length - 40));
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            assertThat(log.existed()).isTrue();
            assertThat(log.tornTail()).hasValueSatisfying(t -> assertThat(t).contains("line 7 was torn"));
            log.append(RecordSchema.COORDINATOR_RESTARTED, Map.of("federation_id", "f1"));
            log.append(RecordSchema.FEDERATION_FINISHED, Map.of("reason", "all 1 rounds done"));
        }
        Verdict v = verify();
        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.tornLastLine()).isFalse();
        assertThat(v.records()).isEqualTo(8);
    }

    @Test
    void aRecordMissingARequiredFieldFails() throws Exception {
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "f1", "rounds", 1, "min_sites", 2));
            log.append(RecordSchema.ROUND_STARTED, Map.of("round", 1));
        }
        Verdict v = verify();
        assertThat(v.firstBadLine()).isEqualTo(2);
        assertThat(v.problem()).contains("lacks the field 'participants'");
    }

    @Test
    void theOtherHighSFormOfAValidSignatureIsRefused() throws Exception {
        writeLog();
        List<byte[]> lines = lines();
        String last = new String(lines.get(6), StandardCharsets.US_ASCII);
        int at = last.lastIndexOf(",\"sig\":\"") + 8;
        String b64 = last.substring(at, last.length() - 2);
        org.bouncycastle.asn1.ASN1Sequence seq = org.bouncycastle.asn1.ASN1Sequence.getInstance(
                java.util.Base64.getDecoder().decode(b64));
        java.math.BigInteger r = ((org.bouncycastle.asn1.ASN1Integer) seq.getObjectAt(0)).getValue();
        java.math.BigInteger sv = ((org.bouncycastle.asn1.ASN1Integer) seq.getObjectAt(1)).getValue();
        java.math.BigInteger n = ((java.security.interfaces.ECPublicKey) cert.getPublicKey()).getParams().getOrder();
        assertThat(sv).isLessThanOrEqualTo(n.shiftRight(1));
        byte[] highS = new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {
                new org.bouncycastle.asn1.ASN1Integer(r), new org.bouncycastle.asn1.ASN1Integer(n.subtract(sv))})
                .getEncoded();
        // the JDK accepts it as a signature of the same record ...
        java.security.Signature jdk = java.security.Signature.getInstance("SHA256withECDSA");
        jdk.initVerify(cert.getPublicKey());
        jdk.update((last.substring(0, at - 8) + "}").getBytes(StandardCharsets.US_ASCII));
        assertThat(jdk.verify(highS)).isTrue();
        // ... but the log admits one form only, so the head hash cannot be changed without the key
        lines.set(6, (last.substring(0, at) + java.util.Base64.getEncoder().encodeToString(highS) + "\"}")
                .getBytes(StandardCharsets.US_ASCII));
        writeLines(lines);
        Verdict v = verify();
        assertThat(v.firstBadLine()).isEqualTo(7);
        assertThat(v.problem()).contains("low-s");
    }

    private void appendUpdate(RoundLog log, PrivateKey signer, long bagsInRecord) {
        UpdateStatement st = new UpdateStatement("f1", "site-a", 1, 0, "ab".repeat(32), "ef".repeat(32), 30, 8,
                java.util.Optional.empty());
        log.append(RecordSchema.UPDATE_ACCEPTED, Map.of("site", "site-a", "round", 1, "update_sha256", "ef".repeat(32),
                "training_bags", bagsInRecord, "l2_norm", 0.5, "site_statement", st.canonicalJson(),
                "site_sig", Signatures.sign(signer, st.canonicalBytes())));
    }

    @Test
    void anAcceptedUpdateVerifiesOnlyWithItsOwnSitesSignatureAndTheNumbersItSigned() throws Exception {
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            writeFederation(log);
            appendUpdate(log, PemFiles.readPrivateKey(siteA.key()), 30);
        }
        assertThat(verify().ok()).as(verify().problem()).isTrue();

        Files.delete(logFile);
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            writeFederation(log);
            appendUpdate(log, PemFiles.readPrivateKey(siteB.key()), 30);
        }
        Verdict other = verify();
        assertThat(other.firstBadLine()).isEqualTo(8);
        assertThat(other.problem()).contains("site's signature").contains("site-a");

        Files.delete(logFile);
        try (RoundLog log = RoundLog.open(logFile, key, cert)) {
            writeFederation(log);
            // the coordinator (whose key signs the record) claims more bags than the site signed for
            appendUpdate(log, PemFiles.readPrivateKey(siteA.key()), 3000);
        }
        Verdict inflated = verify();
        assertThat(inflated.firstBadLine()).isEqualTo(8);
        assertThat(inflated.problem()).contains("training_bags 3000 is not the 30 the site signed");
    }
}
