package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.DpFedSgdStep;
import org.fedmil.mil.train.GradientGrid;
import org.fedmil.mil.train.GradientNoise;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * training.dp.mode dp_fedsgd over real mutual TLS with real agents and DJL: the product's model is the DP-FedSGD
 * step computed directly from the same sites' bags; a round with fewer than K_min shares is not released; the
 * ledgers, the sites' claims and the round log charge the calibrated ε.
 */
class DpFedSgdEndToEndIT {

    private static final int BAGS_PER_SITE = 30;
    private static final List<String> SITES = List.of("site-1", "site-2", "site-3");
    private static final CoordinatorConfig.Model MODEL = new CoordinatorConfig.Model("attention", "mlp", 32, 16, null,
            null);
    private static final double CLIP = 1.0;
    private static final double SERVER_LR = 0.01;

    private static CoordinatorConfig.Training training(Double sigma, Double targetEpsilon, double q, Integer kMin) {
        return new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, "balanced",
                new CoordinatorConfig.Dp(CLIP, sigma, false, CoordinatorConfig.Dp.DP_FEDSGD, q, targetEpsilon, null,
                        kMin));
    }

    /** Secure aggregation on, FedAdam at the server, the given deadline, quorum and short-round rule. */
    private static CoordinatorConfig dpFedSgd(CoordinatorConfig c, int deadlineSeconds, int minUpdates,
                                              String onShortRound) {
        return new CoordinatorConfig(c.federationId(), c.listen(), c.tls(), c.stateDir(), c.heldoutDir(),
                c.minSites(), c.rounds(), c.model(), c.training(), c.device(), deadlineSeconds, minUpdates,
                onShortRound, c.limits(), c.dashboard(), StrategySettings.fromSection(Map.of("name", "fedadam",
                "server_learning_rate", SERVER_LR)), c.pretraining(), true, c.evaluation(), c.pseudoLabels(),
                c.earlyStopping());
    }

    private static List<JsonNode> records(Path roundLog) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(roundLog)) {
            out.add(json.readTree(line));
        }
        return out;
    }

    private static List<JsonNode> ofType(List<JsonNode> records, String type) {
        return records.stream().filter(r -> r.get("type").asText().equals(type)).toList();
    }

    /**
     * The same rounds computed directly: every site's share at the global model (q = 1, so every bag; the loss
     * balanced by the site's own counts, as the agent does), summed, minus γ·sum/N, FedAdam stepped with it.
     */
    private static TensorSet direct(Path data, ModelSpec spec, TensorSet initial, DpFedSgd dp, int rounds) {
        List<BagDataset> sites = SITES.stream().map(s -> BagDataset.load(data.resolve(s))).toList();
        long n = sites.stream().mapToLong(s -> s.bags().size()).sum();
        Strategy server = StrategySettings.fromSection(Map.of("name", "fedadam", "server_learning_rate", SERVER_LR))
                .create();
        DpFedSgdStep step = new DpFedSgdStep();
        TensorSet global = initial;
        try (MilModel model = MilModel.create(spec, Device.cpu(), 0L)) {
            for (int round = 1; round <= rounds; round++) {
                List<TensorSpec> specs = global.specs();
                server.beginRound(specs);
                long[] sum = null;
                GradientGrid grid = null;
                for (int s = 0; s < sites.size(); s++) {
                    model.setWeights(global);
                    LabelCounts counts = sites.get(s).labelCounts();
                    TrainingOptions options = new TrainingOptions(1, 0.002, 0, 1L,
                            new org.fedmil.mil.train.LossConfig(org.fedmil.mil.train.LossConfig.Kind.CROSS_ENTROPY,
                                    2.0, org.fedmil.mil.train.LossConfig.ClassWeighting.BALANCED,
                                    org.fedmil.mil.train.LossConfig.DEFAULT_GCE_Q, 0).forSite(counts, counts),
                            BagAugmentation.NONE);
                    DpFedSgdStep.Share share = step.compute(model, sites.get(s).bags(), options, dp,
                            GradientNoise.seeded(round * 31L + s));
                    grid = share.grid();
                    if (sum == null) {
                        sum = share.units().clone();
                    } else {
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += share.units()[i];
                        }
                    }
                }
                server.accept(unflatten(dp.pseudoDelta(sum, grid, n), specs), 1);
                global = server.finish(global);
            }
        }
        return global;
    }

    private static TensorSet unflatten(float[] flat, List<TensorSpec> specs) {
        List<NamedTensor> out = new ArrayList<>();
        int at = 0;
        for (TensorSpec s : specs) {
            int size = Math.toIntExact(NamedTensor.elementCount(s.shape()));
            float[] v = new float[size];
            System.arraycopy(flat, at, v, 0, size);
            at += size;
            out.add(new NamedTensor(s.name(), s.shape(), v));
        }
        return new TensorSet(out);
    }

    private static TensorSet initialModel(TestFederation fed, TensorSet like) throws Exception {
        byte[] bytes = Files.readAllBytes(fed.dir.resolve("state").resolve("models").resolve("model-v0000.bin"));
        return org.fedmil.tensor.TensorCodec.decode(like.specs(), bytes);
    }

    /**
     * σ = 10⁻⁶ (the grid then has 2^30 units per C and the noise of the sum is ~10⁻⁶·C, ~10⁻⁸ per coordinate
     * after the division by N = 90) and q = 1, so that the product's model and the direct computation differ by
     * the noise and the randomised rounding only: FedAdam (τ = 10⁻³) turns a difference ε in the pseudo-delta into
     * at most about η·ε/τ in the model, 10⁻⁷ here; 2·10⁻⁵ is allowed, against steps of order η = 10⁻² per round.
     */
    @Test
    void threeSitesGiveTheModelOfTheDirectDpFedSgdComputationAndTheCoordinatorSeesOnlySums(@TempDir Path dir)
            throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        int rounds = 3;
        try (TestFederation fed = new TestFederation(dir.resolve("fed"), data, 3, rounds, MODEL,
                training(1e-6, null, 1.0, 3), c -> dpFedSgd(c, 120, 3, "retry"))) {
            List<String> consoles = fed.runSites(SITES, new SiteConfig.Augmentation(false, false));
            FederationRun run = fed.coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            assertThat(run.history()).hasSize(rounds + 1);
            TensorSet product = run.currentModel().weights();
            TensorSet initial = initialModel(fed, product);
            TensorSet expected = direct(data, run.currentModel().spec(), initial,
                    new DpFedSgd(CLIP, 1e-6, 1.0, 3), rounds);
            double worst = 0;
            double moved = 0;
            for (NamedTensor t : expected.tensors()) {
                float[] want = t.values();
                float[] got = product.get(t.name()).values();
                float[] before = initial.get(t.name()).values();
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs((double) got[i] - want[i]));
                    moved = Math.max(moved, Math.abs((double) got[i] - before[i]));
                }
            }
            System.out.printf("DP-FedSGD product vs direct: largest difference %.3g, largest move %.3g%n", worst,
                    moved);
            assertThat(worst).isLessThanOrEqualTo(2e-5);
            assertThat(moved).as("the model moved").isGreaterThan(100 * 2e-5);
            assertThat(consoles.get(0)).contains("DP-FedSGD share of " + BAGS_PER_SITE + " bags")
                    .contains("sent masked DP-FedSGD share");

            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, fed.ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            List<JsonNode> records = records(roundLog);
            assertThat(records.get(0).get("dp").get("mode").asText()).isEqualTo("dp_fedsgd");
            // the coordinator holds masked uploads only, and unmasked nothing but the sums of three
            assertThat(ofType(records, "update_accepted")).hasSize(3 * rounds)
                    .allSatisfy(r -> assertThat(r.get("l2_norm").asText()).isEqualTo("masked"));
            assertThat(ofType(records, "secure_aggregation")).hasSize(rounds)
                    .allSatisfy(r -> assertThat(r.get("survivors")).hasSize(3));
            List<JsonNode> dp = ofType(records, "dp_fedsgd_round");
            assertThat(dp).hasSize(rounds).allSatisfy(r -> {
                assertThat(r.get("released").asBoolean()).isTrue();
                assertThat(r.get("shares").asInt()).isEqualTo(3);
                assertThat(r.get("min_noised_sites").asInt()).isEqualTo(3);
                assertThat(r.get("training_bags").asLong()).isEqualTo(3L * BAGS_PER_SITE); // the three shares' stated bags
                assertThat(r.get("charged_noise_multiplier").asDouble()).isGreaterThanOrEqualTo(1e-6);
            });
        }
    }

    /**
     * K_min = 3 of three sites with t = 2: site-3 shares its keys and vanishes, two shares arrive, and secure
     * aggregation alone would unmask their sum. The coordinator does not: the round is refused with its reason in
     * the round log, skipped, and the model stays the initial one; no site is asked to unmask.
     */
    @Test
    void aRoundWithFewerThanKMinSharesIsNotReleased(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        try (TestFederation fed = new TestFederation(dir.resolve("fed"), data, 3, 1, MODEL,
                training(1.0, null, 0.5, 3), c -> dpFedSgd(c, 10, 2, "skip"))) {
            CompletableFuture<String> dropper = CompletableFuture.supplyAsync(
                    () -> SecureAggregationEndToEndIT.dropAfterSharing(fed, "site-3"));
            fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false, false));
            assertThat(dropper.get(1, TimeUnit.MINUTES)).isEqualTo("shared keys, then dropped");
            FederationRun run = fed.coordinator.run();
            assertThat(run.skippedRounds()).containsExactly(1);
            assertThat(run.currentModel().version()).isZero();
            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            assertThat(RoundLogVerifier.verify(roundLog, fed.ca.certificate()).ok()).isTrue();
            List<JsonNode> records = records(roundLog);
            List<JsonNode> dp = ofType(records, "dp_fedsgd_round");
            assertThat(dp).hasSize(1);
            assertThat(dp.get(0).get("released").asBoolean()).isFalse();
            assertThat(dp.get(0).get("shares").asInt()).isEqualTo(2);
            assertThat(dp.get(0).get("reason").asText()).contains("fewer than min_noised_sites K_min = 3");
            assertThat(ofType(records, "round_short")).hasSize(1);
            assertThat(ofType(records, "secure_aggregation")).isEmpty();
            assertThat(ofType(records, "round_aggregated")).isEmpty();
            for (String site : List.of("site-1", "site-2")) {
                String egress = Files.readString(fed.stateDir(site).resolve("egress-log.jsonl"));
                assertThat(egress).doesNotContain("\"rpc\":\"Unmask\"").doesNotContain("\"rpc\":\"SignSurvivors\"");
            }
        }
    }

    /**
     * σ calibrated from target_epsilon = 8 over the two rounds at q = 0.5: each site's ledger holds two releases
     * charged at (q, z′) for this federation, the ε it states after the last is the accountant's for two steps
     * (at most the target), and the round log's ε through round 2 is the same number.
     */
    @Test
    void theCalibratedNoiseIsChargedPerRoundInTheLedgersAndTheRoundLog(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        int rounds = 2;
        double q = 0.5;
        try (TestFederation fed = new TestFederation(dir.resolve("fed"), data, 3, rounds, MODEL,
                training(null, 8.0, q, null), c -> dpFedSgd(c, 120, 3, "retry"))) {
            fed.runSites(SITES, new SiteConfig.Augmentation(false, false));
            FederationRun run = fed.coordinator.run();
            assertThat(run.history()).hasSize(rounds + 1);
            double sigma = org.fedmil.privacy.NoiseCalibration.noiseMultiplierFor(8.0, 1e-5, q, rounds);
            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            assertThat(RoundLogVerifier.verify(roundLog, fed.ca.certificate()).ok()).isTrue();
            List<JsonNode> records = records(roundLog);
            List<JsonNode> dp = ofType(records, "dp_fedsgd_round");
            assertThat(dp).hasSize(rounds);
            double z = dp.get(1).get("charged_noise_multiplier").asDouble();
            assertThat(dp.get(1).get("noise_multiplier").asDouble()).isEqualTo(sigma);
            // K_min defaulted to secure aggregation's threshold at min_sites = 3: t = 3
            assertThat(dp.get(1).get("min_noised_sites").asInt()).isEqualTo(3);
            assertThat(z).isBetween(sigma, sigma * (1 + 1e-6));
            double accountant = RdpAccountant.epsilonOfSampledGaussian(q, z, rounds, 1e-5).epsilon();
            assertThat(accountant).isLessThanOrEqualTo(8.0 + 1e-9);
            assertThat(dp.get(1).get("epsilon_through_round").asDouble()).isCloseTo(accountant,
                    org.assertj.core.data.Offset.offset(1e-9));
            ObjectMapper json = new ObjectMapper();
            for (String site : SITES) {
                List<Double> claimed = new ArrayList<>();
                for (JsonNode r : ofType(records, "update_accepted")) {
                    if (r.get("site").asText().equals(site)) {
                        assertThat(r.get("privacy").get("sampling_rate").asDouble()).isEqualTo(q);
                        claimed.add(r.get("privacy").get("epsilon_spent").asDouble());
                    }
                }
                assertThat(claimed).hasSize(rounds);
                assertThat(claimed.get(rounds - 1)).isCloseTo(accountant, org.assertj.core.data.Offset.offset(1e-6));
                JsonNode ledger = json.readTree(fed.stateDir(site).resolve("privacy-ledger.json").toFile());
                assertThat(ledger.get("releases")).hasSize(rounds);
            }
        }
    }
}
