package org.fedmil.secagg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;

/** A real consortium CA in a temporary folder, issuing site certificates on demand for secure-aggregation tests. */
final class TestConsortium {

    private final ConsortiumCa ca;
    private final Map<String, RosterAuthentication> sites = new HashMap<>();

    TestConsortium(Path dir, String name) {
        try {
            ca = ConsortiumCa.init(dir, name, Duration.ofDays(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The signing and checking identity of {@code site}, its certificate issued by this CA (once per name). */
    synchronized RosterAuthentication site(String site) {
        return sites.computeIfAbsent(site, s -> authentication(issue(() -> ca.issueSite(s, Duration.ofDays(1)))));
    }

    /** The coordinator's server certificate and key, as a signer (a site of this consortium checks against it). */
    RosterAuthentication coordinator() {
        return authentication(issue(() -> ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1))));
    }

    private RosterAuthentication authentication(PartyCredentials c) {
        return new RosterAuthentication(PemFiles.readPrivateKey(c.key()), PemFiles.readCertificate(c.cert()),
                ca.certificate(), Clock.systemUTC());
    }

    private interface Issue {
        PartyCredentials run() throws IOException;
    }

    private static PartyCredentials issue(Issue issue) {
        try {
            return issue.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
