package org.fedmil.e2e;

import io.grpc.ServerInterceptor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.site.config.SiteConfig;

/**
 * A real federation in a temp folder: the consortium CA and certificates, the synthetic data, and an
 * in-process coordinator on a loopback port with mutual TLS. Sites are real {@code SiteAgent}s.
 */
final class TestFederation implements AutoCloseable {

    final Path dir;
    final ConsortiumCa ca;
    final SyntheticMilData data;
    final Coordinator coordinator;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();

    TestFederation(Path dir, int sites, int rounds, int bagsPerSite, int heldoutBags, ServerInterceptor... observers)
            throws Exception {
        this.dir = dir;
        this.ca = ConsortiumCa.init(dir.resolve("pki"), "test", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        this.data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(sites)
                .withBags(bagsPerSite, heldoutBags).withSeed(7));
        data.writeTo(dir.resolve("data"));
        CoordinatorConfig config = new CoordinatorConfig("e2e",
                new CoordinatorConfig.Listen("127.0.0.1", 0),
                tls(server), dir.resolve("state"), dir.resolve("data").resolve(SyntheticMilData.HELDOUT),
                sites, rounds, new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, 42L, null, null, null), "auto")
                .resolvedAgainst(dir.resolve("coordinator.yaml"));
        this.coordinator = new Coordinator(config, new PrintStream(console, true, StandardCharsets.UTF_8), observers);
        coordinator.start();
    }

    static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }

    PartyCredentials site(String name) throws Exception {
        return ca.issueSite(name, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
    }

    SiteConfig siteConfig(String name, PartyCredentials creds) {
        return new SiteConfig(new SiteConfig.Coordinator("localhost", coordinator.port()), tls(creds),
                dir.resolve("data").resolve(name), "auto", 2_000, 30, stateDir(name))
                .resolvedAgainst(dir.resolve(name + ".yaml"));
    }

    /** Each site its own state folder, as two hospitals would have (the default would be shared here). */
    Path stateDir(String site) {
        return dir.resolve(site + "-state");
    }

    String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        coordinator.run().abort("test over");
        coordinator.run().awaitFinished(Duration.ofSeconds(5));
        coordinator.close();
    }
}
