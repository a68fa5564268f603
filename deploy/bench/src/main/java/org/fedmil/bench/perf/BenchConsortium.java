package org.fedmil.bench.perf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.secagg.RosterAuthentication;

/**
 * A throwaway consortium CA for the simulated sites of a benchmark, so that they sign and check secure-aggregation
 * keys with real certificates as site agents do (the signatures are part of the cost measured). Deleted on close.
 */
final class BenchConsortium implements AutoCloseable {

    private final Path dir;
    private final ConsortiumCa ca;
    private final Map<String, RosterAuthentication> sites = new HashMap<>();

    BenchConsortium() throws IOException {
        dir = Files.createTempDirectory("fedmil-bench-pki");
        ca = ConsortiumCa.init(dir.resolve("pki"), "bench", Duration.ofDays(2));
    }

    /** {@code site}'s certificate key and the CA, issued on first use. */
    synchronized RosterAuthentication site(String site) {
        return sites.computeIfAbsent(site, s -> {
            try {
                PartyCredentials c = ca.issueSite(s, Duration.ofDays(1));
                return new RosterAuthentication(PemFiles.readPrivateKey(c.key()), PemFiles.readCertificate(c.cert()),
                        ca.certificate(), Clock.systemUTC());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
