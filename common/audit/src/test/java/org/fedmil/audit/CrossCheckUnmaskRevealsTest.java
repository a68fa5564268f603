package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `audit crosscheck` holds what a site's egress log shows it revealed at unmask (its Unmask messages, described
 * before they went) against the round log's secure_aggregation record: a record that lists other owners than the
 * site revealed, though signed by the coordinator's real key, is caught as UNMASK_REVEALS_DIFFER.
 */
class CrossCheckUnmaskRevealsTest {

    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");

    @TempDir
    Path dir;

    private X509Certificate ca;
    private PrivateKey coordinatorKey;
    private X509Certificate coordinatorCert;
    private PrivateKey siteAKey;
    private X509Certificate siteACert;
    private final Map<String, String> sitePems = new LinkedHashMap<>();
    private final Map<String, PrivateKey> siteKeys = new LinkedHashMap<>();
    private Path roundLog;
    private Path egressLog;

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
            if (site.equals("site-a")) {
                siteAKey = PemFiles.readPrivateKey(c.key());
                siteACert = PemFiles.readCertificate(c.cert());
            }
        }
        roundLog = dir.resolve("round-log.jsonl");
        egressLog = dir.resolve("site-a/egress-log.jsonl");
    }

    /** The coordinator's log of one securely aggregated round 1 where site-c dropped after sharing keys. */
    private void roundLog(List<String> survivors, List<String> dropped, List<Map<String, Object>> reveals) {
        try (RoundLog log = RoundLog.open(roundLog, coordinatorKey, coordinatorCert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "fed-1", "rounds", 1,
                    "min_sites", 3, "secure_aggregation", true));
            int joined = 0;
            for (String site : SITES) {
                log.append(RecordSchema.SITE_JOINED, Map.of("site", site, "joined_sites", ++joined, "min_sites", 3,
                        "bags", 10, "site_cert", sitePems.get(site)));
            }
            log.append(RecordSchema.ROUND_STARTED, Map.of("round", 1, "participants", 3));
            // every survivor signed the survivor set in the consistency round
            List<Map<String, Object>> signatures = new ArrayList<>();
            for (String site : survivors) {
                signatures.add(Map.of("site", site, "sig", Signatures.sign(siteKeys.get(site),
                        SurvivorSet.signedBytes("fed-1", 1, site, survivors))));
            }
            log.append(RecordSchema.SECURE_AGGREGATION, Map.of("round", 1, "invited", 3, "threshold", 2,
                    "colluders_tolerated", 0, "survivors", survivors, "dropped", dropped, "reveals", reveals,
                    "survivor_signatures", signatures));
        }
    }

    private static Map<String, Object> reveal(String site, List<String> selfMaskOf, List<String> maskingKeyOf) {
        return Map.of("site", site, "self_mask_of", selfMaskOf, "masking_key_of", maskingKeyOf);
    }

    /** Site-a's egress log: each element one attempt at round 1 (AdvertiseKeys, then Unmask revealing these). */
    private void egressLog(List<List<List<String>>> attempts) {
        try (RoundLog e = RoundLog.open(egressLog, siteAKey, siteACert, EgressSchema.EGRESS_LOG)) {
            e.append(EgressSchema.EGRESS_LOG_OPENED, Map.of("site", "site-a"));
            sent(e, "Join", Map.of("software_version", "test"));
            for (List<List<String>> unmask : attempts) {
                sent(e, "AdvertiseKeys", Map.of("round", 1, "encryption_key", "00", "masking_key", "11"));
                if (unmask != null) {
                    sent(e, "Unmask", Map.of("round", 1, "self_mask_shares", shares(unmask.get(0)),
                            "masking_key_shares", shares(unmask.get(1))));
                }
            }
        }
    }

    private static List<Map<String, Object>> shares(List<String> owners) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String o : owners) {
            out.add(Map.of("owner", o, "x", 1, "y", "abcd"));
        }
        return out;
    }

    private void sent(RoundLog e, String rpc, Map<String, Object> content) {
        byte[] message = content.toString().getBytes(StandardCharsets.UTF_8);
        e.append(EgressSchema.SENT, Map.of("rpc", rpc, "coordinator", "localhost:7443", "coordinator_fingerprint",
                Certificates.sha256Fingerprint(coordinatorCert), "message_bytes", message.length, "message_sha256",
                Sha256.hex(Sha256.of(message)), "content", content));
    }

    private CrossCheck.Result crosscheck() throws Exception {
        return CrossCheck.run(roundLog, egressLog, null, ca);
    }

    private static List<Disagreement> ofKind(CrossCheck.Result r) {
        return r.disagreements().stream().filter(d -> d.kind() == Disagreement.Kind.UNMASK_REVEALS_DIFFER).toList();
    }

    @Test
    void revealsAsTheSiteSentThemAgree() throws Exception {
        roundLog(List.of("site-a", "site-b"), List.of("site-c"), List.of(
                reveal("site-a", List.of("site-a", "site-b"), List.of("site-c")),
                reveal("site-b", List.of("site-a", "site-b"), List.of("site-c"))));
        egressLog(List.of(List.of(List.of("site-a", "site-b"), List.of("site-c"))));

        CrossCheck.Result r = crosscheck();

        assertThat(r.disagreements()).as(r.summary()).isEmpty();
    }

    @Test
    void aRevealsListDoctoredInTheRoundLogIsCaught() throws Exception {
        // site-a revealed site-c's masking-key share; the coordinator records it as having revealed site-c's
        // self-mask share instead, hiding that it holds a key share of a site it also holds a seed share of
        roundLog(List.of("site-a", "site-b"), List.of("site-c"), List.of(
                reveal("site-a", List.of("site-a", "site-b", "site-c"), List.of()),
                reveal("site-b", List.of("site-a", "site-b"), List.of("site-c"))));
        egressLog(List.of(List.of(List.of("site-a", "site-b"), List.of("site-c"))));

        CrossCheck.Result r = crosscheck();

        assertThat(r.agree()).isFalse();
        assertThat(ofKind(r)).singleElement().satisfies(d -> {
            assertThat(d.site()).isEqualTo("site-a");
            assertThat(d.round()).isEqualTo(1);
            assertThat(d.message()).contains("sent Unmask for round 1 revealing self-mask shares of [site-a, site-b], "
                    + "masking-key shares of [site-c]").contains("says it revealed self-mask shares of [site-a, "
                    + "site-b, site-c], masking-key shares of []");
        });
        assertThat(r.disagreements()).hasSize(1);
    }

    @Test
    void aRevealTheRoundLogLeavesOutIsCaught() throws Exception {
        roundLog(List.of("site-a", "site-b"), List.of("site-c"), List.of(
                reveal("site-b", List.of("site-a", "site-b"), List.of("site-c"))));
        egressLog(List.of(List.of(List.of("site-a", "site-b"), List.of("site-c"))));

        assertThat(ofKind(crosscheck())).singleElement().satisfies(d -> assertThat(d.message())
                .contains("lists no reveal from it"));
    }

    @Test
    void aRevealTheSiteNeverSentIsCaught() throws Exception {
        roundLog(List.of("site-a", "site-b"), List.of("site-c"), List.of(
                reveal("site-a", List.of("site-a", "site-b"), List.of("site-c")),
                reveal("site-b", List.of("site-a", "site-b"), List.of("site-c"))));
        List<List<String>> none = null;
        egressLog(java.util.Collections.singletonList(none));

        assertThat(ofKind(crosscheck())).singleElement().satisfies(d -> assertThat(d.message())
                .contains("shows no Unmask sent for round 1"));
    }

    @Test
    void anAbortedEarlierAttemptOfTheRoundIsNotComparedWithTheFinishedOne() throws Exception {
        roundLog(List.of("site-a", "site-b", "site-c"), List.of(), List.of(
                reveal("site-a", List.of("site-a", "site-b", "site-c"), List.of()),
                reveal("site-b", List.of("site-a", "site-b", "site-c"), List.of())));
        // attempt 1 (aborted, no record): site-c had dropped; attempt 2 (new keys) finished with everyone
        egressLog(List.of(List.of(List.of("site-a", "site-b"), List.of("site-c")),
                List.of(List.of("site-a", "site-b", "site-c"), List.of())));

        CrossCheck.Result r = crosscheck();

        assertThat(r.disagreements()).as(r.summary()).isEmpty();
    }
}
