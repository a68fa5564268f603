package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.Task;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * secure_aggregation: true over real mutual TLS with real agents and DJL training: the securely aggregated model is
 * the plain FedAvg model of the same sites within the fixed-point error, also when a site drops after the key
 * exchange; the round log says so and verifies, and each site's egress log agrees with it.
 */
class SecureAggregationEndToEndIT {

    private static final int BAGS_PER_SITE = 30;
    private static final CoordinatorConfig.Model MODEL = new CoordinatorConfig.Model("attention", "mlp", 32, 16, null,
            null);
    /**
     * Classes balanced by each site's own counts: with the default (the federation's counts) a site's training
     * would depend on which other sites joined, and the 3-site plain run could not be the reference for a 4-site
     * secure run in which one site drops after the key exchange.
     */
    private static final CoordinatorConfig.Training TRAINING = new CoordinatorConfig.Training(1, 0.002, 0.0, 42L,
            null, null, "balanced");

    private static CoordinatorConfig secure(CoordinatorConfig c, int deadlineSeconds, int minUpdates) {
        return new CoordinatorConfig(c.federationId(), c.listen(), c.tls(), c.stateDir(), c.heldoutDir(), c.minSites(),
                c.rounds(), c.model(), c.training(), c.device(), deadlineSeconds, minUpdates, c.onShortRound(),
                c.limits(), c.dashboard(), c.strategy(), c.pretraining(), true, c.evaluation(), c.pseudoLabels());
    }

    /** Site-1..3's plain FedAvg federation of one round on {@code data}: the model secure aggregation must give. */
    private static TensorSet plainFedAvg(Path dir, Path data) throws Exception {
        try (TestFederation fed = new TestFederation(dir, data, 3, 1, MODEL, TRAINING)) {
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            assertThat(fed.coordinator.run().phase()).isEqualTo(FederationRun.Phase.FINISHED);
            return fed.coordinator.run().currentModel().weights();
        }
    }

    /**
     * How far plain FedAvg's own mean may be from the exact one: it sums the weighted deltas in float32, which is
     * within γ_{K+1} · Σ n_k|Δ_k,i| / Σ n_k (γ_m = m·u/(1 − m·u), u = 2^−24) of the exact weighted mean per
     * coordinate (FedAvg's stated bound, pinned by FedAvgTest). |Δ_k,i| ≤ ‖Δ_k‖₂, which the plain run's round log
     * records for every accepted update.
     */
    private static double plainSummationBound(Path plainRun) throws Exception {
        ObjectMapper json = new ObjectMapper();
        double weighted = 0;
        long bags = 0;
        int k = 0;
        for (String line : Files.readAllLines(plainRun.resolve("state").resolve(Coordinator.ROUND_LOG))) {
            JsonNode r = json.readTree(line);
            if (r.get("type").asText().equals("update_accepted")) {
                weighted += r.get("training_bags").asLong() * r.get("l2_norm").asDouble();
                bags += r.get("training_bags").asLong();
                k++;
            }
        }
        assertThat(k).as("accepted updates in the plain run").isPositive();
        double mu = (k + 1) * Math.scalb(1.0, -24);
        return mu / (1 - mu) * weighted / bags;
    }

    /**
     * Every coordinate within the stated error (docs/secure-aggregation.md): the fixed-point error of the mean,
     * 2^−(f+1) for the round's f, plus the float32 rounding of the decoded mean (half an ulp of the mean, taken here
     * as new − initial model) and of the model global + mean, on either side, plus the reference's own error: plain
     * FedAvg's float32 summation ({@link #plainSummationBound}).
     */
    private static void assertSameModel(TensorSet secure, TensorSet plain, TensorSet initial, SecAggParameters p,
                                        double plainSummation) {
        double worst = 0;
        for (NamedTensor t : plain.tensors()) {
            float[] want = t.values();
            float[] got = secure.get(t.name()).values();
            float[] before = initial.get(t.name()).values();
            for (int i = 0; i < want.length; i++) {
                float mean = want[i] - before[i];
                double allowed = p.meanErrorBound() + Math.ulp(mean) + Math.ulp(want[i]) + Math.ulp(got[i])
                        + plainSummation;
                assertThat(Math.abs((double) got[i] - want[i])).as("%s[%d]", t.name(), i).isLessThanOrEqualTo(allowed);
                worst = Math.max(worst, Math.abs((double) got[i] - want[i]));
            }
        }
        System.out.printf("secure vs plain FedAvg: largest difference %.3g (fixed-point bound %.3g, f=%d; plain "
                + "FedAvg's float32 summation bound %.3g)%n", worst, p.meanErrorBound(), p.fractionalBits(),
                plainSummation);
    }

    /** The initial global model (version 0) the coordinator saved in its state folder. */
    private static TensorSet initialModel(TestFederation fed, TensorSet like) throws Exception {
        byte[] bytes = Files.readAllBytes(fed.dir.resolve("state").resolve("models").resolve("model-v0000.bin"));
        return org.fedmil.tensor.TensorCodec.decode(like.specs(), bytes);
    }

    /** The round's parameters as the coordinator chose them: K sites of BAGS_PER_SITE bags, the default norm bound. */
    private static SecAggParameters parameters(int sites, int threshold, TensorSet model) {
        return SecAggParameters.choose("e2e", 1, sites, threshold, (int) model.parameterCount(), BAGS_PER_SITE,
                new CoordinatorConfig.Limits(null, null, null).maxUpdateL2Norm());
    }

    @Test
    void threeSitesSecurelyAggregatedGiveThePlainFedAvgModelAndTheLogsSaySo(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        TensorSet plain = plainFedAvg(dir.resolve("plain"), data);
        try (TestFederation fed = new TestFederation(dir.resolve("secure"), data, 3, 1, MODEL, TRAINING,
                c -> secure(c, 120, 3))) {
            List<String> consoles = fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            FederationRun run = fed.coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            List<RoundResult> history = run.history();
            assertThat(history).hasSize(2);
            assertThat(history.get(1).sites()).containsExactly("site-1", "site-2", "site-3");
            assertSameModel(run.currentModel().weights(), plain, initialModel(fed, plain), parameters(3, 3, plain),
                    plainSummationBound(dir.resolve("plain")));
            assertThat(consoles.get(0)).contains("site site-1 round 1: trained " + BAGS_PER_SITE + " bags")
                    .contains("sent masked delta");

            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, fed.ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> records = new ArrayList<>();
            for (String line : Files.readAllLines(roundLog)) {
                records.add(json.readTree(line));
            }
            assertThat(records.get(0).get("type").asText()).isEqualTo("federation_created");
            assertThat(records.get(0).get("secure_aggregation").asBoolean()).isTrue();
            // each real agent signed its join declaration, and verify checked it against the site's certificate
            assertThat(records.stream().filter(r -> r.get("type").asText().equals("site_joined")).toList())
                    .hasSize(3).allSatisfy(r -> assertThat(r.has("join_sig")).isTrue());
            List<JsonNode> accepted = records.stream().filter(r -> r.get("type").asText().equals("update_accepted"))
                    .toList();
            assertThat(accepted).hasSize(3).allSatisfy(r -> {
                assertThat(r.get("l2_norm").asText()).isEqualTo("masked");
                // what the site signed says the bytes are a masked input, with the round's scale
                assertThat(r.get("site_statement").asText()).contains("\"secure_aggregation\":{\"fractional_bits\":"
                        + parameters(3, 3, plain).fractionalBits() + "}");
            });

            for (String site : List.of("site-1", "site-2", "site-3")) {
                Path state = fed.stateDir(site);
                String egress = Files.readString(state.resolve("egress-log.jsonl"));
                // every step of the protocol left the site described in its egress log, the upload as masked int64s
                assertThat(egress).contains("\"rpc\":\"AdvertiseKeys\"").contains("\"rpc\":\"ShareKeys\"")
                        .contains("\"rpc\":\"SignSurvivors\"").contains("\"rpc\":\"Unmask\"")
                        .contains("\"secure_aggregation\"").doesNotContain("unmask_refused");
                org.fedmil.audit.CrossCheck.Result cross = org.fedmil.audit.CrossCheck.run(roundLog,
                        state.resolve("egress-log.jsonl"), state.resolve("receipts"), fed.ca.certificate());
                assertThat(cross.disagreements()).as(site + " against the round log").isEmpty();
                assertThat(cross.uploads()).isEqualTo(1);
            }
        }
    }

    @Test
    void aSiteDroppingAfterTheKeyExchangeIsUnmaskedAndTheModelIsThePlainFedAvgOfTheOthers(@TempDir Path dir)
            throws Exception {
        Path data = TestFederation.synthetic(dir, 4, BAGS_PER_SITE, 40);
        TensorSet plain = plainFedAvg(dir.resolve("plain"), data);
        // four sites, t = 3: site-4 advertises keys and shares them, then vanishes before its masked upload
        try (TestFederation fed = new TestFederation(dir.resolve("secure"), data, 4, 1, MODEL, TRAINING,
                c -> secure(c, 10, 3))) {
            CompletableFuture<String> dropper = CompletableFuture.supplyAsync(() -> dropAfterSharing(fed));
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            assertThat(dropper.get(1, TimeUnit.MINUTES)).isEqualTo("shared keys, then dropped");
            FederationRun run = fed.coordinator.run();
            assertThat(run.history()).hasSize(2);
            assertThat(run.history().get(1).sites()).containsExactly("site-1", "site-2", "site-3");
            assertThat(run.skippedRounds()).isEmpty();
            assertSameModel(run.currentModel().weights(), plain, initialModel(fed, plain), parameters(4, 3, plain),
                    plainSummationBound(dir.resolve("plain")));
            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, fed.ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            assertThat(Files.readString(roundLog)).doesNotContain("\"type\":\"round_short\"");
        }
    }

    @Test
    void differentialPrivacyAtTheSitesStillWorksAndIsChargedOncePerRound(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        CoordinatorConfig.Training dp = new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                new CoordinatorConfig.Dp(1.0, 1.1));
        try (TestFederation fed = new TestFederation(dir.resolve("secure"), data, 3, 2, MODEL, dp,
                c -> secure(c, 120, 3))) {
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            FederationRun run = fed.coordinator.run();
            assertThat(run.history()).hasSize(3);
            assertThat(run.history().get(2).sites()).containsExactly("site-1", "site-2", "site-3");
            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            assertThat(RoundLogVerifier.verify(roundLog, fed.ca.certificate()).ok()).isTrue();
            ObjectMapper json = new ObjectMapper();
            for (String site : List.of("site-1", "site-2", "site-3")) {
                // the coordinator recorded each round's privacy claim from the signed header of the masked upload
                List<Double> claimed = new ArrayList<>();
                for (String line : Files.readAllLines(roundLog)) {
                    JsonNode r = json.readTree(line);
                    if (r.get("type").asText().equals("update_accepted") && r.get("site").asText().equals(site)) {
                        assertThat(r.get("privacy").get("noise_multiplier").asDouble()).isEqualTo(1.1);
                        assertThat(r.get("site_statement").asText()).contains("\"secure_aggregation\"");
                        claimed.add(r.get("privacy").get("epsilon_spent").asDouble());
                    }
                }
                // one release per round in the site's ledger, and its lifetime spend grows round by round
                JsonNode ledger = json.readTree(fed.stateDir(site).resolve("privacy-ledger.json").toFile());
                assertThat(ledger.get("releases")).hasSize(2);
                assertThat(claimed).hasSize(2);
                assertThat(claimed.get(1)).isGreaterThan(claimed.get(0)).isPositive();
            }
        }
    }

    @Test
    void distributedDifferentialPrivacyIsAddedInTheMaskStepChargedCentrallyAndTheRoundsAreAudited(@TempDir Path dir)
            throws Exception {
        Path data = TestFederation.synthetic(dir, 3, BAGS_PER_SITE, 40);
        CoordinatorConfig.Training dp = new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                new CoordinatorConfig.Dp(1.0, 1.1, true));
        try (TestFederation fed = new TestFederation(dir.resolve("secure"), data, 3, 2, MODEL, dp,
                c -> secure(c, 120, 3))) {
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            FederationRun run = fed.coordinator.run();
            assertThat(run.history()).hasSize(3);
            Path roundLog = fed.dir.resolve("state").resolve(Coordinator.ROUND_LOG);
            assertThat(RoundLogVerifier.verify(roundLog, fed.ca.certificate()).ok()).isTrue();
            ObjectMapper json = new ObjectMapper();
            int audited = 0;
            List<Double> charged = new ArrayList<>();
            for (String line : Files.readAllLines(roundLog)) {
                JsonNode r = json.readTree(line);
                String type = r.get("type").asText();
                if (type.equals("update_accepted")) {
                    // the central multiplier of the sum, never less than asked for
                    charged.add(r.get("privacy").get("noise_multiplier").asDouble());
                } else if (type.equals("secure_aggregation")) {
                    audited++;
                    assertThat(r.get("survivors")).hasSize(3);
                    assertThat(r.get("dropped")).isEmpty();
                    assertThat(r.get("threshold").asInt()).isEqualTo(3);
                    assertThat(r.get("reveals")).hasSize(3);
                    // the consistency round: every survivor's signature, which verify checked above
                    assertThat(r.get("survivor_signatures")).hasSize(3);
                }
            }
            assertThat(audited).isEqualTo(2);
            assertThat(charged).hasSize(6).allSatisfy(z -> assertThat(z).isBetween(1.1, 1.1 * (1 + 1e-8)));
            for (String site : List.of("site-1", "site-2", "site-3")) {
                JsonNode ledger = json.readTree(fed.stateDir(site).resolve("privacy-ledger.json").toFile());
                assertThat(ledger.get("releases")).hasSize(2);
            }
        }
    }

    /** A site that takes part in the key exchange of round 1 and then goes away without a word. */
    private static String dropAfterSharing(TestFederation fed) {
        return dropAfterSharing(fed, "site-4");
    }

    /** As above, as site {@code name}. */
    static String dropAfterSharing(TestFederation fed, String name) {
        org.fedmil.config.TlsFiles tls;
        try {
            tls = TestFederation.tls(fed.site(name));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        try (CoordinatorClient c = new CoordinatorClient("localhost", fed.coordinator.port(), tls)) {
            c.join(JoinRequest.newBuilder().setSoftwareVersion("dropper").setDevice("cpu()")
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(BAGS_PER_SITE / 2))
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(BAGS_PER_SITE / 2)).build());
            SecAggClient secagg = null;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (System.nanoTime() < deadline) {
                Task t = c.nextTask(1_000);
                switch (t.getKindCase()) {
                    case SECAGG_ADVERTISE -> {
                        secagg = new SecAggClient(name, SecAggWire.fromProto(t.getSecaggAdvertise()
                                .getParameters(), "e2e"), new org.fedmil.secagg.RosterAuthentication(
                                PemFiles.readPrivateKey(tls.key()), PemFiles.readCertificate(tls.cert()),
                                PemFiles.readCertificate(tls.ca()), java.time.Clock.systemUTC()),
                                new SecureRandom());
                        c.advertiseKeys(SecAggWire.toKeys(1, secagg.advertise()));
                    }
                    case SECAGG_SHARE -> {
                        c.shareKeys(SecAggWire.toProto(1, secagg.shareKeys(SecAggWire.roster(
                                t.getSecaggShare().getRosterList()))));
                        return "shared keys, then dropped";
                    }
                    // this hand-driven site's own pause between polls (as the real agent has), not a test's wait
                    default -> Thread.sleep(100);
                }
            }
            return "never asked to share keys";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
