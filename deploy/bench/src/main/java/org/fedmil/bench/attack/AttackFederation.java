package org.fedmil.bench.attack;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.RecordSchema;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.EarlyStoppingSection;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;

/**
 * One federation of the attack benchmark: a real coordinator in this JVM on a loopback port with mutual TLS, the
 * honest sites as real site agents, the hostile ones as {@link HostileSite}s, all with certificates of one
 * consortium CA. The coordinator evaluates every round's model on the held-out set, as it always does.
 */
final class AttackFederation {

    /** What one run gave: the held-out AUC after every round (round 0 first), and what was refused of whom. */
    record Outcome(String strategy, Hostile attack, List<Double> aucPerRound, int hostileRefused,
                   int hostileAccepted, List<String> refusalCodes, double seconds) {
    }

    private final Path work;
    private final Path data;
    private final ConsortiumCa ca;
    private final int honestSites;
    private final int rounds;
    private final CoordinatorConfig.Model model;
    private final CoordinatorConfig.Training training;
    /** One certificate per party for every run: a CA issues a party's credentials once. */
    private final PartyCredentials server;
    private final java.util.Map<String, PartyCredentials> sites = new java.util.HashMap<>();

    /**
     * @param model    the model section every run's coordinator gets
     * @param training the training section
     */
    AttackFederation(Path work, Path data, ConsortiumCa ca, int honestSites, int rounds, CoordinatorConfig.Model model,
                     CoordinatorConfig.Training training) throws java.io.IOException {
        this.work = work;
        this.data = data;
        this.ca = ca;
        this.honestSites = honestSites;
        this.rounds = rounds;
        this.model = model;
        this.training = training;
        this.server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), ConsortiumCa.DEFAULT_PARTY_VALIDITY);
    }

    private synchronized PartyCredentials site(String name) throws java.io.IOException {
        PartyCredentials c = sites.get(name);
        if (c == null) {
            c = ca.issueSite(name, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            sites.put(name, c);
        }
        return c;
    }

    Outcome run(String strategy, Hostile attack) throws Exception {
        long t0 = System.nanoTime();
        Path dir = work.resolve(attack.configName() + "-" + strategy.replaceAll("[^A-Za-z0-9_.=-]", "_"));
        Files.createDirectories(dir);
        int sites = honestSites + attack.sites;
        CoordinatorConfig config = new CoordinatorConfig("attacks", new CoordinatorConfig.Listen("127.0.0.1", 0),
                tls(server), dir.resolve("state"), data.resolve("heldout"), sites, rounds,
                model, training, "cpu", 300, sites, "skip",
                null, null, StrategySettings.parse(strategy))
                .withEarlyStopping(new EarlyStoppingSection(false, null, null))
                .resolvedAgainst(dir.resolve("coordinator.yaml"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<HostileSite> hostiles = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(sites);
        try (Coordinator coordinator = new Coordinator(config, new PrintStream(console, true, StandardCharsets.UTF_8))) {
            coordinator.start();
            List<Future<?>> running = new ArrayList<>();
            HostileSite.Collusion collusion = attack.sites > 1 ? new HostileSite.Collusion() : null;
            for (int i = 1; i <= sites; i++) {
                String name = "site-" + i;
                TlsFiles tls = tls(site(name));
                if (i > honestSites) {
                    HostileSite h = new HostileSite(name, "localhost", coordinator.port(), tls, data.resolve(name),
                            attack, collusion);
                    hostiles.add(h);
                    running.add(pool.submit(h));
                } else {
                    SiteConfig site = new SiteConfig(new SiteConfig.Coordinator("localhost", coordinator.port()), tls,
                            data.resolve(name), "cpu", 2_000, 120, dir.resolve(name + "-state"), null)
                            .withValidation(new SiteConfig.Validation(0.0, null))
                            .resolvedAgainst(dir.resolve(name + ".yaml"));
                    running.add(pool.submit(() -> {
                        try (SiteAgent agent = new SiteAgent(site, new PrintStream(console, true,
                                StandardCharsets.UTF_8))) {
                            return agent.run();
                        }
                    }));
                }
            }
            if (!coordinator.run().awaitFinished(Duration.ofHours(2))) {
                throw new IllegalStateException("the federation under " + attack.configName() + " / " + strategy
                        + " did not finish in 2 h; see " + dir);
            }
            for (Future<?> f : running) {
                f.get(5, TimeUnit.MINUTES);
            }
            for (HostileSite h : hostiles) {
                if (h.failure() != null) {
                    throw new IllegalStateException("hostile " + h.name() + " failed", h.failure());
                }
            }
            List<Double> auc = coordinator.run().history().stream().map(RoundResult::heldout)
                    .map(m -> m.auc()).toList();
            List<String> codes = LogRecords.readAll(dir.resolve("state").resolve("round-log.jsonl"))
                    .ofType(RecordSchema.UPDATE_REFUSED).stream().map(l -> String.valueOf(l.fields().get("code")))
                    .toList();
            return new Outcome(strategy, attack, auc, hostiles.stream().mapToInt(h -> h.refused.get()).sum(),
                    hostiles.stream().mapToInt(h -> h.accepted.get()).sum(), codes, (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
            Files.writeString(dir.resolve("console.txt"), console.toString(StandardCharsets.UTF_8));
        }
    }

    static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }
}
