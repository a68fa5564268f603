package org.fedmil.site.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.secagg.RosterAuthentication;

/** A real consortium CA in a temporary folder, issuing site certificates for tests of what a site signs. */
public final class TestPki {

    private final ConsortiumCa ca;

    public TestPki(Path dir) {
        try {
            ca = ConsortiumCa.init(dir, "test", Duration.ofDays(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A site's key and certificate, issued by this CA. */
    public record Site(PrivateKey key, X509Certificate certificate, X509Certificate ca) {

        public RosterAuthentication rosterAuthentication() {
            return new RosterAuthentication(key, certificate, ca, Clock.systemUTC());
        }
    }

    public Site site(String name) {
        return loaded(issue(name));
    }

    /** A site's key and certificate files (key.pem, cert.pem, ca.pem), as its site.yaml would name them. */
    public PartyCredentials issue(String name) {
        try {
            return ca.issueSite(name, Duration.ofDays(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Site loaded(PartyCredentials c) {
        return new Site(PemFiles.readPrivateKey(c.key()), PemFiles.readCertificate(c.cert()), ca.certificate());
    }
}
