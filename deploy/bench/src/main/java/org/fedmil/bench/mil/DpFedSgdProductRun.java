package org.fedmil.bench.mil;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;

/**
 * The FMNIST-bags DP-FedSGD arm of docs/results.md through the product instead of {@link DpFedSgdFederation}: the
 * same split (FmnistBags with {@code bench mil}'s settings and seed, written to disk), a real coordinator on a
 * loopback port with mutual TLS and {@code training.dp.mode: dp_fedsgd}, secure aggregation and FedAdam, and one
 * real site agent per site keeping 20 % of its bags for validation (seed 0, as {@code bench mil}). The model of the
 * last round is scored by the coordinator's held-out evaluation. Its noise comes from the sites' DRBGs, so it is one
 * draw of the mechanism, not a replay of the simulation's seeded one.
 *
 * <p>Arguments: work folder, seed, target ε, rounds, training bags, server learning rate.
 */
public final class DpFedSgdProductRun {

    private DpFedSgdProductRun() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        double epsilon = Double.parseDouble(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int trainBags = Integer.parseInt(args[4]);
        double serverRate = Double.parseDouble(args[5]);
        int sites = 4;
        Path data = work.resolve("fmnist-bags-seed" + seed + "-" + trainBags);
        FmnistBags.generate(FmnistBags.Config.defaults().withSites(sites).withBags(trainBags, 200).withAlpha(0.5)
                .withSeed(seed)).writeTo(data);
        ConsortiumCa ca = ConsortiumCa.init(work.resolve("pki"), "dp-fedsgd", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        // the bench's recipe: CNN attention 64/32 on 28-pixel grey tiles, cross-entropy weighted by the federation's
        // counts, the initial model of the split's seed; DP-FedSGD at C = 1, q = 0.25, σ for ε over the rounds
        CoordinatorConfig.Model model = new CoordinatorConfig.Model("attention", "cnn", 64, 32,
                FmnistBags.IMAGE_SIZE, 1);
        CoordinatorConfig.Training training = new CoordinatorConfig.Training(1, 5e-4, 1e-4, seed, null, null,
                "federation", new CoordinatorConfig.Dp(1.0, null, false, CoordinatorConfig.Dp.DP_FEDSGD, 0.25,
                epsilon, 1e-5, sites));
        Path dir = work.resolve("run");
        CoordinatorConfig config = new CoordinatorConfig("dp-fedsgd-fmnist", new CoordinatorConfig.Listen("127.0.0.1",
                0), tls(server), dir.resolve("state"), data.resolve("heldout"), sites, rounds, model, training, "cpu",
                600, sites, "retry", null, null, StrategySettings.fromSection(Map.of("name", "fedadam",
                "server_learning_rate", serverRate)), null, true, null, null,
                new EarlyStoppingSection(false, null, null)).resolvedAgainst(dir.resolve("coordinator.yaml"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ExecutorService pool = Executors.newFixedThreadPool(sites);
        long t0 = System.nanoTime();
        try (Coordinator coordinator = new Coordinator(config, new PrintStream(console, true,
                StandardCharsets.UTF_8))) {
            coordinator.start();
            List<Future<Integer>> running = new ArrayList<>();
            for (int i = 1; i <= sites; i++) {
                String name = "site-" + i;
                SiteConfig site = new SiteConfig(new SiteConfig.Coordinator("localhost", coordinator.port()),
                        tls(ca.issueSite(name, ConsortiumCa.DEFAULT_PARTY_VALIDITY)), data.resolve(name), "cpu",
                        2_000, 120, dir.resolve(name + "-state"), null)
                        .withValidation(new SiteConfig.Validation(0.2, 0L)).resolvedAgainst(dir.resolve(name + ".yaml"));
                running.add(pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(site, new PrintStream(console, true,
                            StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                }));
            }
            if (!coordinator.run().awaitFinished(Duration.ofHours(3))) {
                throw new IllegalStateException("the federation did not finish in 3 h; see " + dir);
            }
            for (Future<Integer> f : running) {
                f.get(5, TimeUnit.MINUTES);
            }
            List<RoundResult> history = coordinator.run().history();
            RoundResult last = history.get(history.size() - 1);
            var dp = LogRecords.readAll(dir.resolve("state").resolve(Coordinator.ROUND_LOG))
                    .ofType(RecordSchema.DP_FEDSGD_ROUND);
            var lastDp = dp.get(dp.size() - 1).fields();
            System.out.printf(Locale.ROOT, "seed %d, target ε %s, %d rounds (%d released, %d records): round %d "
                            + "held-out AUC %.4f [%.3f, %.3f] on %d bags; σ %s, z' %s, ε through round %s; %.0f s%n",
                    seed, epsilon, rounds, history.size() - 1, dp.size(), last.round(), last.heldout().auc(),
                    last.heldoutAucCi().lower(), last.heldoutAucCi().upper(), last.heldout().n(),
                    lastDp.get("noise_multiplier"), lastDp.get("charged_noise_multiplier"),
                    lastDp.get("epsilon_through_round"), (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("console.txt"), console.toString(StandardCharsets.UTF_8));
        }
    }

    private static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }
}
