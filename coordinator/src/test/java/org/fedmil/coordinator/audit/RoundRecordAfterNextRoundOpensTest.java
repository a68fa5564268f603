package org.fedmil.coordinator.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.LogRecords;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round aggregated in the clear is recorded after the next round has opened and taken updates: its
 * round_aggregated must still carry its own effective weights (not the next round's) and model hash, come after the
 * next round's round_started and before the next round's round_aggregated. A real run, round log and audit trail,
 * with the save of model v1 held back until round 2's updates are in. (The whole log is verified with real sites in
 * the end-to-end tests; these joins carry no site certificate.)
 */
class RoundRecordAfterNextRoundOpensTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 30L, 1, 20L));

    @TempDir
    java.nio.file.Path dir;

    private static IncomingUpdate update(int round, long bags) {
        TensorSet delta = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {0.1f, -0.1f})));
        byte[] bytes = TensorCodec.encode(delta);
        return new IncomingUpdate(round, round - 1, Sha256.of(bytes), bags, 0.5, delta.specs(), bytes);
    }

    @Test
    void theRoundsRecordCarriesItsOwnWeightsAndHashAfterTheNextRoundStarted() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials c = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        FederationPlan plan = new FederationPlan("held", 2, 2, SPEC, new FederationPlan.TrainingPlan(1, 0.1, 0, 7,
                LossConfig.DEFAULT), false, RoundRules.waitForAll(2));
        CountDownLatch saveMayGo = new CountDownLatch(1);
        List<String> savedHashes = new ArrayList<>();
        RoundListener saver = new RoundListener() {
            @Override
            public void saveModel(GlobalModel model) {
                if (model.version() == 1) {
                    try {
                        assertThat(saveMayGo.await(30, TimeUnit.SECONDS)).isTrue();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                savedHashes.add(Sha256.hex(model.sha256()));
            }
        };
        java.nio.file.Path logFile = dir.resolve("round-log.jsonl");
        try (RoundLog log = RoundLog.open(logFile, PemFiles.readPrivateKey(c.key()),
                PemFiles.readCertificate(c.cert()))) {
            AuditTrail audit = new AuditTrail(log);
            audit.opened(plan, false, 1);
            try (FederationRun run = new FederationRun(plan, GlobalModel.of(0, SPEC, new TensorSet(List.of(
                    new NamedTensor("w", new long[] {2}, new float[] {1f, 1f})))),
                    w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.3f, 0.7f}), new FedAvg(),
                    new AllListeners(List.of(saver, audit)))) {
                run.start();
                run.join("a", JOIN);
                run.join("b", JOIN);
                run.submit("a", update(1, 40));
                run.submit("b", update(1, 10));
                assertThat(run.awaitModelServed(1, Duration.ofSeconds(30))).isTrue();
                run.submit("a", update(2, 20));
                run.submit("b", update(2, 30));
                saveMayGo.countDown();
                assertThat(run.awaitFinished(Duration.ofSeconds(30))).isTrue();
            }
        }

        List<LogRecords.Line> lines = LogRecords.readAll(logFile).lines();
        List<String> order = new ArrayList<>();
        for (LogRecords.Line l : lines) {
            if (l.type().startsWith("round_") || l.type().equals("update_accepted")) {
                order.add(l.type() + " " + l.number("round"));
            }
        }
        assertThat(order).containsSubsequence("round_started 1", "round_started 2", "update_accepted 2",
                "round_aggregated 1", "round_aggregated 2");
        LogRecords.Line r1 = lines.stream().filter(l -> l.type().equals("round_aggregated")
                && l.number("round") == 1).findFirst().orElseThrow();
        assertThat(r1.map("effective_weights")).containsExactlyInAnyOrderEntriesOf(Map.of("a", 40, "b", 10));
        assertThat(r1.text("model_sha256")).isEqualTo(savedHashes.get(1));
        LogRecords.Line r2 = lines.stream().filter(l -> l.type().equals("round_aggregated")
                && l.number("round") == 2).findFirst().orElseThrow();
        assertThat(r2.map("effective_weights")).containsExactlyInAnyOrderEntriesOf(Map.of("a", 20, "b", 30));
    }
}
