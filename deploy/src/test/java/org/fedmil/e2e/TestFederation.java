package org.fedmil.e2e;

import io.grpc.ServerInterceptor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.fedmil.site.agent.SiteAgent;
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
    final Path dataDir;
    Coordinator coordinator;
    private final CoordinatorConfig config;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final java.util.Map<String, PartyCredentials> issued = new java.util.HashMap<>();
    /**
     * The sites' validation split. Off unless a test turns it on: the federations these tests run count every
     * bag of a site as trained (FedAvg weights, egress-log bag counts); validation has tests of its own.
     */
    SiteConfig.Validation validation = new SiteConfig.Validation(0.0, null);
    /** Every site's encoder_file (absolute), for a federation that fine-tunes an encoder's block; null for none. */
    Path siteEncoder;

    /** Synthetic feature bags for {@code sites} sites, attention over an MLP encoder. */
    TestFederation(Path dir, int sites, int rounds, int bagsPerSite, int heldoutBags, ServerInterceptor... observers)
            throws Exception {
        this(dir, sites, rounds, bagsPerSite, heldoutBags, UnaryOperator.identity(), observers);
    }

    /** As above, with coordinator.yaml changed by {@code tweak} (round rules, limits) before the coordinator starts. */
    TestFederation(Path dir, int sites, int rounds, int bagsPerSite, int heldoutBags,
                   UnaryOperator<CoordinatorConfig> tweak, ServerInterceptor... observers) throws Exception {
        this(dir, synthetic(dir, sites, bagsPerSite, heldoutBags), sites, rounds,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, 42L, null, null, null), tweak, observers);
    }

    /**
     * A federation over {@code dataDir}'s site folders (site-1, site-2, …) and its {@code heldout} folder, with the
     * given model and training sections of coordinator.yaml.
     */
    TestFederation(Path dir, Path dataDir, int sites, int rounds, CoordinatorConfig.Model model,
                   CoordinatorConfig.Training training, ServerInterceptor... observers) throws Exception {
        this(dir, dataDir, sites, rounds, model, training, UnaryOperator.identity(), observers);
    }

    TestFederation(Path dir, Path dataDir, int sites, int rounds, CoordinatorConfig.Model model,
                   CoordinatorConfig.Training training, UnaryOperator<CoordinatorConfig> tweak,
                   ServerInterceptor... observers) throws Exception {
        this.dir = dir;
        this.dataDir = dataDir;
        this.ca = ConsortiumCa.init(dir.resolve("pki"), "test", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        CoordinatorConfig config = tweak.apply(new CoordinatorConfig("e2e",
                new CoordinatorConfig.Listen("127.0.0.1", 0),
                tls(server), dir.resolve("state"), dataDir.resolve("heldout"), sites, rounds, model, training, "auto"))
                .resolvedAgainst(dir.resolve("coordinator.yaml"));
        this.config = config;
        this.coordinator = new Coordinator(config, new PrintStream(console, true, StandardCharsets.UTF_8), observers);
        coordinator.start();
    }

    static Path synthetic(Path dir, int sites, int bagsPerSite, int heldoutBags) throws Exception {
        SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(sites)
                .withBags(bagsPerSite, heldoutBags).withSeed(7));
        data.writeTo(dir.resolve("data"));
        return dir.resolve("data");
    }

    /** Runs real agents for {@code names} concurrently until each exits; returns their consoles. */
    List<String> runSites(List<String> names, SiteConfig.Augmentation augmentation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(names.size());
        try {
            ExecutorCompletionService<Integer> exits = new ExecutorCompletionService<>(pool);
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            for (String name : names) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outs.add(out);
                SiteConfig c = siteConfig(name, site(name));
                SiteConfig config = new SiteConfig(c.coordinator(), c.tls(), c.dataDir(), c.device(), c.pollWaitMs(),
                        c.connectTimeoutSeconds(), c.stateDir(), augmentation).withValidation(validation)
                        .withEncoderFile(c.encoderFile());
                exits.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
            }
            // in completion order, so that one agent's failure surfaces at once instead of as a hang of another
            for (int i = 0; i < names.size(); i++) {
                Future<Integer> exit = exits.poll(10, TimeUnit.MINUTES);
                if (exit == null) {
                    throw new AssertionError("a site agent did not finish within 10 minutes");
                }
                if (exit.get() != 0) {
                    throw new AssertionError("a site agent exited with " + exit.get());
                }
            }
            return outs.stream().map(o -> o.toString(StandardCharsets.UTF_8)).toList();
        } finally {
            pool.shutdownNow();
        }
    }

    static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }

    /** The site's credentials, issued on first use; a site that comes back uses the same ones. */
    synchronized PartyCredentials site(String name) throws Exception {
        PartyCredentials c = issued.get(name);
        if (c == null) {
            c = ca.issueSite(name, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            issued.put(name, c);
        }
        return c;
    }

    SiteConfig siteConfig(String name, PartyCredentials creds) {
        return new SiteConfig(new SiteConfig.Coordinator("localhost", coordinator.port()), tls(creds),
                dataDir.resolve(name), "auto", 2_000, 30, stateDir(name), null)
                .withValidation(validation).withEncoderFile(siteEncoder).resolvedAgainst(dir.resolve(name + ".yaml"));
    }

    /** Each site its own state folder, as two hospitals would have (the default would be shared here). */
    Path stateDir(String site) {
        return dir.resolve(site + "-state");
    }

    /**
     * Stops the coordinator without ending the federation (as a crash would leave it, minus the SIGKILL) and
     * starts a new one on the same state folder; it listens on a new port.
     */
    Coordinator restartCoordinator() throws Exception {
        coordinator.close();
        coordinator = new Coordinator(config, new PrintStream(console, true, StandardCharsets.UTF_8));
        coordinator.start();
        return coordinator;
    }

    /** A copy of {@code c} with other round rules and limits. */
    static CoordinatorConfig withRules(CoordinatorConfig c, int deadlineSeconds, int minUpdates, String onShortRound,
                                       CoordinatorConfig.Limits limits) {
        return new CoordinatorConfig(c.federationId(), c.listen(), c.tls(), c.stateDir(), c.heldoutDir(), c.minSites(),
                c.rounds(), c.model(), c.training(), c.device(), deadlineSeconds, minUpdates, onShortRound, limits);
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
