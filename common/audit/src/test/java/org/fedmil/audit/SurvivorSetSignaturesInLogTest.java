package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `audit verify` checks the consistency round a secure_aggregation record carries with only the CA certificate:
 * each survivor-set signature is by the site certificate of its site_joined record over exactly the logged survivor
 * set, a quorum signed, and every site that revealed shares signed. Each record here is signed by the coordinator's
 * real key, as a lying coordinator would sign it, so only the site signatures can catch the lie.
 */
class SurvivorSetSignaturesInLogTest {

    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");
    private static final List<String> EVERYONE = SITES;
    /** federation_created, three site_joined, round_started: the secure_aggregation record is line 6. */
    private static final int RECORD_LINE = 6;

    @TempDir
    Path dir;

    private X509Certificate ca;
    private PrivateKey coordinatorKey;
    private X509Certificate coordinatorCert;
    private final Map<String, PrivateKey> siteKeys = new LinkedHashMap<>();
    private final Map<String, String> sitePems = new LinkedHashMap<>();

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa consortium = ConsortiumCa.init(dir.resolve("pki"), "Test Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        ca = consortium.certificate();
        PartyCredentials coordinator = consortium.issueCoordinator(List.of("localhost"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        coordinatorKey = PemFiles.readPrivateKey(coordinator.key());
        coordinatorCert = PemFiles.readCertificate(coordinator.cert());
        for (String site : SITES) {
            PartyCredentials c = consortium.issueSite(site, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            sitePems.put(site, PemFiles.encodeCertificate(PemFiles.readCertificate(c.cert())));
            siteKeys.put(site, PemFiles.readPrivateKey(c.key()));
        }
    }

    private Map<String, Object> signature(String site, String signer, List<String> signedSet) {
        return Map.of("site", site, "sig", Signatures.sign(siteKeys.get(signer),
                SurvivorSet.signedBytes("fed-1", 1, site, signedSet)));
    }

    private Map<String, Object> honest(String site) {
        return signature(site, site, EVERYONE);
    }

    private static Map<String, Object> reveal(String site) {
        return Map.of("site", site, "self_mask_of", EVERYONE, "masking_key_of", List.of());
    }

    /** A log of one secure round with every site surviving, its record as given, and the round's aggregate after. */
    private RoundLogVerifier.Verdict verified(Map<String, Object> secureAggregation) throws Exception {
        Path file = dir.resolve("round-log-" + System.nanoTime() + ".jsonl");
        try (RoundLog log = RoundLog.open(file, coordinatorKey, coordinatorCert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "fed-1", "rounds", 1,
                    "min_sites", 3, "secure_aggregation", true));
            int joined = 0;
            for (String site : SITES) {
                log.append(RecordSchema.SITE_JOINED, Map.of("site", site, "joined_sites", ++joined, "min_sites", 3,
                        "bags", 10, "site_cert", sitePems.get(site)));
            }
            log.append(RecordSchema.ROUND_STARTED, Map.of("round", 1, "participants", 3));
            log.append(RecordSchema.SECURE_AGGREGATION, secureAggregation);
            log.append(RecordSchema.ROUND_AGGREGATED, Map.of("round", 1, "model_version", 1, "model_sha256",
                    "00".repeat(32), "sites", EVERYONE, "training_bags", 30, "heldout", Map.of()));
        }
        return RoundLogVerifier.verify(file, ca);
    }

    private static Map<String, Object> record(List<Map<String, Object>> signatures, List<String> revealers) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("round", 1);
        f.put("invited", 3);
        f.put("threshold", 2);
        f.put("colluders_tolerated", 0);
        f.put("survivors", EVERYONE);
        f.put("dropped", List.of());
        f.put("reveals", revealers.stream().map(SurvivorSetSignaturesInLogTest::reveal).toList());
        if (signatures != null) {
            f.put("survivor_signatures", signatures);
        }
        return f;
    }

    @Test
    void aRoundEverySurvivorSignedTheLoggedSetOfPassesVerify() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(List.of(honest("site-a"), honest("site-b"), honest("site-c")),
                EVERYONE));

        assertThat(v.problem()).isNull();
        assertThat(v.ok()).isTrue();
        assertThat(v.records()).isEqualTo(7);
    }

    @Test
    void aSignatureMadeWithAnotherSitesKeyFailsAtTheRecordsLine() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(List.of(honest("site-a"), signature("site-b", "site-c",
                EVERYONE), honest("site-c")), EVERYONE));

        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("round 1's survivor-set signatures").contains("site 'site-b'")
                .contains("bad signature").contains("forged, or the site signed another set");
    }

    @Test
    void aSiteThatSignedAnotherSurvivorSetThanTheLoggedOneFailsVerify() throws Exception {
        // the coordinator told site-a that site-c dropped, and logs that everyone survived
        RoundLogVerifier.Verdict v = verified(record(List.of(signature("site-a", "site-a",
                List.of("site-a", "site-b")), honest("site-b"), honest("site-c")), EVERYONE));

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("site 'site-a'").contains("over the logged survivor set "
                + "[site-a, site-b, site-c]");
    }

    @Test
    void aRevealingSiteWhoseSignatureIsMissingFailsVerify() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(List.of(honest("site-a"), honest("site-b")), EVERYONE));

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("site 'site-c' is recorded as revealing unmasking shares, but its "
                + "signature over the survivor set is not in the record");
    }

    @Test
    void fewerSignaturesThanTheQuorumFailVerify() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(List.of(honest("site-a")), List.of("site-a")));

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("unmasked with 1 survivor-set signatures [site-a], fewer than the 2");
    }

    @Test
    void aSignatureRepeatedToMakeUpTheQuorumFailsVerify() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(List.of(honest("site-a"), honest("site-a")), List.of("site-a")));

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("site 'site-a' is listed twice");
    }

    @Test
    void aRecordWithoutTheSignaturesFailsVerify() throws Exception {
        RoundLogVerifier.Verdict v = verified(record(null, EVERYONE));

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).isEqualTo("secure_aggregation record lacks the field 'survivor_signatures'");
    }

    @Test
    void aSignerTheLogNeverIntroducedFailsVerify() throws Exception {
        List<String> four = List.of("site-a", "site-b", "site-c", "site-d");
        List<Map<String, Object>> signatures = new ArrayList<>();
        for (String site : SITES) {
            signatures.add(signature(site, site, four));
        }
        signatures.add(Map.of("site", "site-d", "sig", signatures.get(0).get("sig")));
        Map<String, Object> f = record(signatures, EVERYONE);
        f.put("survivors", four);
        RoundLogVerifier.Verdict v = verified(f);

        assertThat(v.firstBadLine()).isEqualTo(RECORD_LINE);
        assertThat(v.problem()).contains("site 'site-d' signed, but no earlier site_joined record introduced its "
                + "certificate");
    }
}
