package org.fedmil.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConsortiumCaTest {

    private static final Duration TWO_YEARS = ConsortiumCa.DEFAULT_PARTY_VALIDITY;
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @TempDir
    Path tmp;

    private Path pki;
    private ConsortiumCa ca;

    @BeforeEach
    void createCa() throws Exception {
        pki = tmp.resolve("pki");
        ca = ConsortiumCa.init(pki, "Northern Pathology", ConsortiumCa.DEFAULT_CA_VALIDITY);
    }

    @Test
    void caIsSelfSignedWithPathLengthZeroAndCertificateSigningUsage() throws Exception {
        X509Certificate cert = PemFiles.readCertificate(pki.resolve("ca/ca.pem"));

        cert.verify(cert.getPublicKey());
        assertThat(cert.getBasicConstraints()).isZero();
        boolean[] usage = cert.getKeyUsage();
        assertThat(usage[5]).as("keyCertSign").isTrue();
        assertThat(usage[6]).as("cRLSign").isTrue();
        assertThat(usage[0]).as("digitalSignature").isFalse();
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=Northern Pathology FedMIL CA,O=FedMIL");
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()).toDays())
                .isBetween(3650L, 3651L);
    }

    @Test
    void caKeyAndFolderAreOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("ca/ca.key.pem"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("ca"))))
                .isEqualTo("rwx------");
    }

    @Test
    void initRefusesToOverwriteAnExistingCa() throws Exception {
        byte[] caBefore = Files.readAllBytes(pki.resolve("ca/ca.pem"));
        byte[] keyBefore = Files.readAllBytes(pki.resolve("ca/ca.key.pem"));

        assertThatThrownBy(() -> ConsortiumCa.init(pki, "Other", Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(pki.resolve("ca").toString())
                .hasMessageContaining("already exists");

        assertThat(Files.readAllBytes(pki.resolve("ca/ca.pem"))).isEqualTo(caBefore);
        assertThat(Files.readAllBytes(pki.resolve("ca/ca.key.pem"))).isEqualTo(keyBefore);
        assertThat(stagingLeftovers(pki)).isEmpty();
    }

    @Test
    void loadedCaIssuesWithTheSameKey() throws Exception {
        ConsortiumCa loaded = ConsortiumCa.load(pki);
        PartyCredentials site = loaded.issueSite("hospital-a", TWO_YEARS);

        assertThat(loaded.certificate()).isEqualTo(ca.certificate());
        PemFiles.readCertificate(site.cert()).verify(ca.certificate().getPublicKey());
    }

    @Test
    void loadWithoutCaSaysToRunInit() {
        assertThatThrownBy(() -> ConsortiumCa.load(tmp.resolve("elsewhere")))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(tmp.resolve("elsewhere").resolve("ca").resolve("ca.pem").toString())
                .hasMessageContaining("fedmil pki init");
    }

    @Test
    void loadRefusesCaKeyReadableByOthers() throws Exception {
        Files.setPosixFilePermissions(pki.resolve("ca/ca.key.pem"), PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> ConsortiumCa.load(pki))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("ca.key.pem is readable by other users")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void everyIssuedKeyIsOwnerOnly() throws Exception {
        List<PartyCredentials> parties = List.of(
                ca.issueCoordinator(List.of("localhost"), TWO_YEARS),
                ca.issueSite("hospital-a", TWO_YEARS),
                ca.issueAdmin("alice", TWO_YEARS));

        for (PartyCredentials party : parties) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(party.key())))
                    .as(party.key().toString()).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(party.dir())))
                    .as(party.dir().toString()).isEqualTo("rwx------");
        }
        assertThat(parties).extracting(PartyCredentials::dir).containsExactly(
                pki.resolve("coordinator"), pki.resolve("sites/hospital-a"), pki.resolve("admins/alice"));
    }

    @Test
    void keysArePkcs8PemOnTheP256Curve() throws Exception {
        PartyCredentials site = ca.issueSite("hospital-a", TWO_YEARS);

        for (Path keyFile : List.of(site.key(), pki.resolve("ca/ca.key.pem"))) {
            String pem = Files.readString(keyFile);
            assertThat(pem).as(keyFile.toString()).startsWith("-----BEGIN PRIVATE KEY-----");
            try (PEMParser parser = new PEMParser(new StringReader(pem))) {
                assertThat(parser.readObject()).isInstanceOf(PrivateKeyInfo.class);
            }
            ECPrivateKey key = (ECPrivateKey) PemFiles.readPrivateKey(keyFile);
            assertThat(key.getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        }
    }

    @Test
    void everyCertificateChainsToTheCa() throws Exception {
        List<PartyCredentials> parties = List.of(
                ca.issueCoordinator(List.of("localhost"), TWO_YEARS),
                ca.issueSite("hospital-a", TWO_YEARS),
                ca.issueAdmin("alice", TWO_YEARS));
        X509Certificate root = PemFiles.readCertificate(pki.resolve("ca/ca.pem"));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setRevocationEnabled(false);

        for (PartyCredentials party : parties) {
            X509Certificate leaf = PemFiles.readCertificate(party.cert());
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
            assertThat(Files.readAllBytes(party.ca())).isEqualTo(Files.readAllBytes(pki.resolve("ca/ca.pem")));
            assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        }
    }

    @Test
    void certificateFromAnotherCaDoesNotChainToThisOne() throws Exception {
        ConsortiumCa other = ConsortiumCa.init(tmp.resolve("other"), "Northern Pathology", ConsortiumCa.DEFAULT_CA_VALIDITY);
        X509Certificate foreign = PemFiles.readCertificate(other.issueSite("hospital-a", TWO_YEARS).cert());
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.certificate(), null)));
        params.setRevocationEnabled(false);

        assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(foreign)), params))
                .isInstanceOf(java.security.cert.CertPathValidatorException.class);
    }

    @Test
    void coordinatorCertificateNamesEveryDnsNameAndIpAddress() throws Exception {
        PartyCredentials coordinator = ca.issueCoordinator(
                List.of("FedMIL.Example.org", "localhost", "127.0.0.1", "[::1]", "10.0.0.5", "localhost"), TWO_YEARS);
        X509Certificate cert = PemFiles.readCertificate(coordinator.cert());

        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        for (List<?> san : cert.getSubjectAlternativeNames()) {
            int type = (Integer) san.get(0);
            (type == 2 ? dns : ips).add((String) san.get(1));
            assertThat(type).isIn(2, 7);
        }
        assertThat(dns).containsExactly("fedmil.example.org", "localhost");
        assertThat(ips).containsExactly("127.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.5");
        assertThat(commonName(cert)).isEqualTo("fedmil.example.org");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()).toDays())
                .isBetween(730L, 731L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.example.org", "https://fedmil.example.org", "fedmil.example.org:8443", "bad_host", "-x.org"})
    void coordinatorHostsThatAreNotNamesOrAddressesAreRefused(String host) {
        assertThatThrownBy(() -> ca.issueCoordinator(List.of(host), TWO_YEARS))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("invalid --host '" + host + "'");
        assertThat(pki.resolve("coordinator")).doesNotExist();
    }

    @Test
    void coordinatorNeedsAtLeastOneHost() {
        assertThatThrownBy(() -> ca.issueCoordinator(List.of(), TWO_YEARS))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("--host");
    }

    @Test
    void siteCertificateCarriesItsNameAsCnAndSiteAsOu() throws Exception {
        X509Certificate cert = PemFiles.readCertificate(ca.issueSite("hospital-a", TWO_YEARS).cert());

        X500Name subject = new JcaX509CertificateHolder(cert).getSubject();
        assertThat(commonName(cert)).isEqualTo("hospital-a");
        assertThat(IETFUtils.valueToString(subject.getRDNs(BCStyle.OU)[0].getFirst().getValue())).isEqualTo("site");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(cert.getSubjectAlternativeNames()).isNull();
    }

    @Test
    void adminCertificateCarriesAdminAsOu() throws Exception {
        X509Certificate cert = PemFiles.readCertificate(ca.issueAdmin("alice", TWO_YEARS).cert());

        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=alice,OU=admin,O=FedMIL");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-hospital", ".hidden", "../escape", "a/b", "site a", "hôpital",
            "a2345678901234567890123456789012345678901234567890123456789012345"})
    void invalidSiteNamesAreRefusedAndNothingIsWritten(String name) {
        assertThatThrownBy(() -> ca.issueSite(name, TWO_YEARS))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("invalid site name '" + name + "'");
        assertThat(pki.resolve("sites")).doesNotExist();
    }

    @Test
    void longestValidSiteNameIsAccepted() throws Exception {
        String name = "A" + "b.c_d-".repeat(10) + "x".repeat(3);
        assertThat(name).hasSize(64);

        assertThat(commonName(PemFiles.readCertificate(ca.issueSite(name, TWO_YEARS).cert()))).isEqualTo(name);
    }

    @Test
    void reissuingOverAnExistingSiteFolderIsRefused() throws Exception {
        PartyCredentials first = ca.issueSite("hospital-a", TWO_YEARS);
        byte[] keyBefore = Files.readAllBytes(first.key());

        assertThatThrownBy(() -> ca.issueSite("hospital-a", TWO_YEARS))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(first.dir().toString())
                .hasMessageContaining("already holds credentials for site 'hospital-a'");

        assertThat(Files.readAllBytes(first.key())).isEqualTo(keyBefore);
        assertThat(stagingLeftovers(pki.resolve("sites"))).isEmpty();
    }

    @Test
    void certificateThatWouldOutliveTheCaIsRefused() throws Exception {
        ConsortiumCa shortLived = ConsortiumCa.init(tmp.resolve("short"), "Short", Duration.ofDays(30));

        assertThatThrownBy(() -> shortLived.issueSite("hospital-a", Duration.ofDays(31)))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("would outlive the CA")
                .hasMessageContaining("--days 29");
    }

    @Test
    void serialNumbersAreRandomPositiveAndAtMost159Bits() throws Exception {
        List<BigInteger> serials = new ArrayList<>();
        serials.add(ca.certificate().getSerialNumber());
        for (int i = 0; i < 8; i++) {
            serials.add(PemFiles.readCertificate(ca.issueSite("site-" + i, TWO_YEARS).cert()).getSerialNumber());
        }

        assertThat(serials).doesNotHaveDuplicates().allSatisfy(serial -> {
            assertThat(serial.signum()).isPositive();
            assertThat(serial.bitLength()).isLessThanOrEqualTo(159);
        });
        // 9 random 159-bit serials all shorter than 150 bits: probability 2^-81.
        assertThat(serials).anySatisfy(serial -> assertThat(serial.bitLength()).isGreaterThan(150));
    }

    private static String commonName(X509Certificate cert) throws Exception {
        X500Name subject = new JcaX509CertificateHolder(cert).getSubject();
        return IETFUtils.valueToString(subject.getRDNs(BCStyle.CN)[0].getFirst().getValue());
    }

    private static List<Path> stagingLeftovers(Path dir) throws Exception {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().contains(".staging-")).toList();
        }
    }
}
