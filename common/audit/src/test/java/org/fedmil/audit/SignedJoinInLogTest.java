package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
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
 * The site's signed join declaration in a {@code site_joined} record, checked by {@code audit verify} with the CA
 * certificate alone: a coordinator that writes (and signs, with its own real key) another declaration than the one
 * the site signed is caught, though every record of its log is validly signed.
 */
class SignedJoinInLogTest {

    @TempDir
    Path tmp;

    private X509Certificate ca;
    private PrivateKey coordinatorKey;
    private X509Certificate coordinatorCert;
    private PrivateKey siteAKey;
    private PrivateKey siteBKey;
    private String siteAPem;
    private Path logFile;

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa consortium = ConsortiumCa.init(tmp.resolve("pki"), "Test Consortium",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials coordinator = consortium.issueCoordinator(List.of("localhost"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        PartyCredentials a = consortium.issueSite("site-a", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        PartyCredentials b = consortium.issueSite("site-b", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        ca = consortium.certificate();
        coordinatorKey = PemFiles.readPrivateKey(coordinator.key());
        coordinatorCert = PemFiles.readCertificate(coordinator.cert());
        siteAKey = PemFiles.readPrivateKey(a.key());
        siteBKey = PemFiles.readPrivateKey(b.key());
        siteAPem = Files.readString(a.cert());
        logFile = tmp.resolve("round-log.jsonl");
    }

    private static JoinStatement declaring(String site, long negatives, long positives) {
        return new JoinStatement(site, Map.of(0, negatives, 1, positives), "features", 2, "", "test", "cpu()");
    }

    /** A round log, signed throughout with the coordinator's real key, whose site_joined record is {@code join}. */
    private RoundLogVerifier.Verdict logWith(long recordedBags, String statement, String sig) throws Exception {
        try (RoundLog log = RoundLog.open(logFile, coordinatorKey, coordinatorCert)) {
            log.append(RecordSchema.FEDERATION_CREATED, Map.of("federation_id", "f1", "rounds", 1, "min_sites", 1));
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("site", "site-a");
            f.put("joined_sites", 1);
            f.put("min_sites", 1);
            f.put("bags", recordedBags);
            f.put("site_cert", siteAPem);
            f.put("join_statement", statement);
            f.put("join_sig", sig);
            log.append(RecordSchema.SITE_JOINED, f);
        }
        return RoundLogVerifier.verify(logFile, ca);
    }

    @Test
    void theDeclarationTheSiteSignedVerifies() throws Exception {
        SignedStatement s = SignedStatement.sign(declaring("site-a", 3, 2), siteAKey);

        RoundLogVerifier.Verdict v = logWith(5, s.statement(), s.sig());

        assertThat(v.ok()).as(v.problem()).isTrue();
    }

    @Test
    void aRecordWhoseBagsAreNotTheDeclarationsIsCaughtThoughTheCoordinatorSignedIt() throws Exception {
        SignedStatement s = SignedStatement.sign(declaring("site-a", 3, 2), siteAKey);

        RoundLogVerifier.Verdict v = logWith(1_000_000_000L, s.statement(), s.sig());

        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(2);
        assertThat(v.problem()).contains("bags 1000000000 is not the 5 bags site 'site-a' signed");
    }

    @Test
    void anEditedDeclarationUnderTheSitesSignatureIsCaught() throws Exception {
        SignedStatement s = SignedStatement.sign(declaring("site-a", 3, 2), siteAKey);
        String edited = s.statement().replace("\"0\":3", "\"0\":999999998");
        assertThat(edited).isNotEqualTo(s.statement());

        RoundLogVerifier.Verdict v = logWith(1_000_000_000L, edited, s.sig());

        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(2);
        assertThat(v.problem()).contains("the site's signature on its join declaration");
    }

    @Test
    void aDeclarationSignedByAnotherSiteIsCaught() throws Exception {
        SignedStatement s = SignedStatement.sign(declaring("site-a", 3, 2), siteBKey);

        RoundLogVerifier.Verdict v = logWith(5, s.statement(), s.sig());

        assertThat(v.ok()).isFalse();
        assertThat(v.problem()).contains("the site's signature on its join declaration");
    }

    @Test
    void aDeclarationInAnotherSitesNameIsCaught() throws Exception {
        SignedStatement s = SignedStatement.sign(declaring("site-b", 3, 2), siteAKey);

        RoundLogVerifier.Verdict v = logWith(5, s.statement(), s.sig());

        assertThat(v.ok()).isFalse();
        assertThat(v.problem()).contains("signed for site 'site-b', the record names 'site-a'");
    }
}
