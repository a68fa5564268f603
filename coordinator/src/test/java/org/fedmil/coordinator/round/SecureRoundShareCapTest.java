package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The share cap in a securely aggregated round, run through its real steps (keys, shares, masks, unmasking): the
 * coordinator never sees a site's weighted delta, so it tells each site in its mask task the most its delta may
 * weigh, the site weighs by that before masking, and the sum is divided by the same weights.
 */
class SecureRoundShareCapTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final long HUGE = 1_000_000_000L;

    @TempDir
    Path pkiDir;
    private FederationRun run;
    private final Map<String, Long> weights = new ConcurrentHashMap<>();
    private final Map<String, Long> caps = new ConcurrentHashMap<>();
    private final Map<String, SecAggClient> clients = new HashMap<>();

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void aSiteDeclaringABillionBagsWeighsAtMostTheCapsShareOfTheSecureSum() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(pkiDir.resolve("pki"), "test", Duration.ofDays(2));
        RoundRules rules = new RoundRules(3, 3_600_000, RoundRules.ShortRound.RETRY, 10.0);
        run = new FederationRun(new FederationPlan("test", 3, 1, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, rules, true),
                GlobalModel.of(0, SPEC, weights(1f, 1f)), null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void updateAccepted(AcceptedUpdate u) {
                        weights.put(u.siteId(), u.weight());
                        caps.put(u.siteId(), u.weightCap());
                    }
                });
        run.start();
        Map<String, Long> claims = Map.of("hostile", HUGE, "b", 5L, "c", 5L);
        Map<String, float[]> deltas = Map.of("hostile", new float[] {1f, 1f}, "b", new float[] {-0.1f, 0.2f},
                "c", new float[] {-0.1f, 0.2f});
        for (String site : List.of("hostile", "b", "c")) {
            run.join(site, new SiteJoin("test", "cpu()", Map.of(0, claims.get(site))));
        }
        Map<String, Long> assigned = new HashMap<>();
        for (Class<?> step : List.of(Task.SecAggAdvertise.class, Task.SecAggShare.class, Task.SecAggMask.class,
                Task.SecAggConsistency.class, Task.SecAggUnmask.class)) {
            for (String site : List.of("hostile", "b", "c")) {
                Task t = run.nextTask(site, Duration.ZERO);
                assertThat(t).as("%s's task", site).isInstanceOf(step);
                act(ca, site, t, claims.get(site), deltas.get(site), assigned);
            }
        }
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();

        // the water level of ½ over declarations 10⁹, 5, 5 is 10: the hostile site is told 10, the others their 5
        assertThat(assigned).containsExactlyInAnyOrderEntriesOf(Map.of("hostile", 10L, "b", 5L, "c", 5L));
        assertThat(weights).containsExactlyInAnyOrderEntriesOf(Map.of("hostile", 10L, "b", 5L, "c", 5L));
        assertThat(caps.values()).containsOnly(10L);
        long total = weights.values().stream().mapToLong(Long::longValue).sum();
        assertThat((double) weights.get("hostile") / total).isEqualTo(0.5);
        // the model is the capped FedAvg: (10·1 + 5·(−0.1) + 5·(−0.1)) / 20, not the hostile delta
        float[] w = run.currentModel().weights().get("w").values();
        assertThat((double) w[0]).isCloseTo(1 + (10 * 1.0 - 5 * 0.1 - 5 * 0.1) / 20, within(1e-6));
        assertThat((double) w[1]).isCloseTo(1 + (10 * 1.0 + 5 * 0.2 + 5 * 0.2) / 20, within(1e-6));
    }

    /** The site's side, as the agent does it: weighs its delta by min(its bags, the weight its mask task assigns). */
    private void act(ConsortiumCa ca, String site, Task t, long claim, float[] delta, Map<String, Long> assigned)
            throws IOException {
        if (t instanceof Task.SecAggAdvertise a) {
            PartyCredentials c = ca.issueSite(site, Duration.ofDays(1));
            SecAggClient client = new SecAggClient(site, a.parameters(), new RosterAuthentication(
                    PemFiles.readPrivateKey(c.key()), PemFiles.readCertificate(c.cert()), ca.certificate(),
                    Clock.systemUTC()), new SecureRandom());
            clients.put(site, client);
            run.secAggAdvertise(site, a.parameters().round(), client.advertise());
        } else if (t instanceof Task.SecAggShare s) {
            run.secAggShare(site, s.round(), clients.get(site).shareKeys(s.roster()));
        } else if (t instanceof Task.SecAggMask m) {
            assigned.put(site, m.weight());
            SecAggClient client = clients.get(site);
            client.receiveShares(m.shares());
            MaskedInput in = client.maskInput(delta, Math.min(claim, m.weight()));
            ByteBuffer b = ByteBuffer.allocate(8 * in.masked().length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(in.masked());
            byte[] bytes = b.array();
            run.submit(site, new IncomingUpdate(m.train().round(), m.train().model().version(), Sha256.of(bytes),
                    claim, 0.5, weights(0, 0).specs(), bytes, SignedUpdate.UNSIGNED, DeltaEncoding.FLOAT32, true,
                    m.parameters().fractionalBits()));
        } else if (t instanceof Task.SecAggConsistency c) {
            run.secAggSignSurvivors(site, c.round(), clients.get(site).signSurvivors(c.request()));
        } else if (t instanceof Task.SecAggUnmask u) {
            run.secAggUnmask(site, u.round(), clients.get(site).unmask(u.request(), u.signatures()));
        }
    }
}
