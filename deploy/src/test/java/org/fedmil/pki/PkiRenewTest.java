package org.fedmil.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedmil pki renew}, and that nothing ever replaces the consortium CA. */
class PkiRenewTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return new CommandLine(new PkiCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void renewKeepsIdentityKeyAndCaAndChangesOnlySerialAndValidity() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(3650));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("fedmil.example.org", "10.0.0.5"), Duration.ofDays(30));
        PartyCredentials site = ca.issueSite("hospital-a", Duration.ofDays(30));
        for (PartyCredentials party : List.of(coordinator, site)) {
            X509Certificate before = PemFiles.readCertificate(party.cert());
            byte[] key = Files.readAllBytes(party.key());
            byte[] caCopy = Files.readAllBytes(party.ca());
            PartyKind kind = party == site ? PartyKind.SITE : PartyKind.COORDINATOR;

            X509Certificate after = ca.renew(kind, "hospital-a", Duration.ofDays(400));

            assertThat(PemFiles.readCertificate(party.cert())).isEqualTo(after);
            assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
            assertThat(after.getSubjectX500Principal()).isEqualTo(before.getSubjectX500Principal());
            assertThat(after.getPublicKey()).isEqualTo(before.getPublicKey());
            assertThat(after.getExtendedKeyUsage()).isEqualTo(before.getExtendedKeyUsage());
            assertThat(after.getKeyUsage()).isEqualTo(before.getKeyUsage());
            assertThat(String.valueOf(after.getSubjectAlternativeNames())).isEqualTo(String.valueOf(before.getSubjectAlternativeNames()));
            assertThat(after.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(399)));
            after.verify(ca.certificate().getPublicKey());
            PemFiles.requireMatchingKey(after, party.cert(), PemFiles.readPrivateKey(party.key()), party.key());
            assertThat(Files.readAllBytes(party.key())).isEqualTo(key);
            assertThat(Files.readAllBytes(party.ca())).isEqualTo(caCopy);
        }
    }

    @Test
    void renewNeedsOnlyTheCertificateNotThePartysKey() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(3650));
        PartyCredentials site = ca.issueSite("hospital-a", Duration.ofDays(30));
        // docs/pki.md tells the operator to delete their copy of the site key once the site confirmed
        Files.delete(site.key());

        assertThat(run("renew", "site", "--dir", tmp.resolve("pki").toString(), "--days", "90", "hospital-a"))
                .as(err.toString()).isZero();
        assertThat(out.toString()).contains("same key and CA").contains("new serial").contains("SHA-256 fingerprint")
                .contains("not secret");
    }

    @Test
    void renewRefusesWhatItCannotRenew() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(100));
        ConsortiumCa other = ConsortiumCa.init(tmp.resolve("other"), "Other", Duration.ofDays(100));
        assertThatThrownBy(() -> ca.renew(PartyKind.SITE, "nobody", Duration.ofDays(30)))
                .isInstanceOf(PkiException.class).hasMessageContaining("fedmil pki issue site nobody");
        PartyCredentials foreign = other.issueSite("hospital-a", Duration.ofDays(30));
        Files.createDirectories(tmp.resolve("pki/sites/hospital-a"));
        Files.copy(foreign.cert(), tmp.resolve("pki/sites/hospital-a/cert.pem"));
        assertThatThrownBy(() -> ca.renew(PartyKind.SITE, "hospital-a", Duration.ofDays(30)))
                .isInstanceOf(PkiException.class).hasMessageContaining("not issued by the CA");
        ca.issueAdmin("alice", Duration.ofDays(30));
        assertThatThrownBy(() -> ca.renew(PartyKind.ADMIN, "alice", Duration.ofDays(365)))
                .isInstanceOf(PkiException.class).hasMessageContaining("outlive the CA");
    }

    /** Pins docs/pki.md's "reinstalling never mints a new CA": init, issue and renew never change ca/. */
    @Test
    void noCommandReplacesAnExistingCa() throws Exception {
        String dir = tmp.resolve("pki").toString();
        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isZero();
        Map<String, byte[]> ca = snapshot(tmp.resolve("pki/ca"));

        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isEqualTo(1);
        assertThat(err.toString()).contains("already exists").contains("never replaced");
        assertThat(run("init", "--dir", dir, "--name", "Another name", "--days", "10")).isEqualTo(1);
        assertThat(run("issue", "site", "--dir", dir, "hospital-a")).isZero();
        assertThat(run("renew", "site", "--dir", dir, "hospital-a")).isZero();
        assertThat(run("issue", "coordinator", "--dir", dir, "--host", "localhost")).isZero();
        assertThat(run("renew", "coordinator", "--dir", dir)).isZero();

        assertThat(snapshot(tmp.resolve("pki/ca"))).containsOnlyKeys(ca.keySet());
        ca.forEach((name, bytes) -> assertThat(snapshot(tmp.resolve("pki/ca")).get(name)).as(name).isEqualTo(bytes));
    }

    private static Map<String, byte[]> snapshot(Path dir) {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return files;
    }
}
