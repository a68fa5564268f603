package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * training.compression: int8 over real mutual TLS: sites send int8 deltas with error feedback, sign and log the
 * bytes they send, the coordinator decodes them and the federation still learns.
 */
class CompressedDeltaEndToEndIT {

    @Test
    void int8FederationCompletesAndSendsAQuarterOfTheBytes(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 2, 120, 150);
        try (TestFederation fed = new TestFederation(dir, data, 2, 3,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, 42L, null, null, null, null, "int8"))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            ExecutorCompletionService<Integer> exits = new ExecutorCompletionService<>(pool);
            for (String name : List.of("site-1", "site-2")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                var config = fed.siteConfig(name, fed.site(name));
                exits.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
            }
            for (int i = 0; i < 2; i++) {
                Future<Integer> exit = exits.poll(5, TimeUnit.MINUTES);
                assertThat(exit).as("a site agent finished within 5 minutes").isNotNull();
                assertThat(exit.get()).as("site agent exit code").isZero();
            }
            pool.shutdown();
            FederationRun run = fed.coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            List<RoundResult> history = run.history();
            assertThat(history.get(3).heldout().auc()).as("final held-out AUC with int8 deltas")
                    .isGreaterThan(FederatedTrainingEndToEndIT.FINAL_AUC_THRESHOLD);
            // the egress log records what was sent: every upload is int8-sized, a bit over a quarter of float32's
            String egress = Files.readString(fed.stateDir("site-1").resolve("egress-log.jsonl"));
            Matcher m = Pattern.compile("\"total_bytes\"\\s*:\\s*(\\d+)").matcher(egress);
            List<Long> sizes = new ArrayList<>();
            while (m.find()) {
                sizes.add(Long.parseLong(m.group(1)));
            }
            long float32 = fed.coordinator.run().currentModel().bytes().length;
            // (each upload is logged as it starts and as it completes)
            assertThat(sizes).hasSizeGreaterThanOrEqualTo(3).allSatisfy(s -> assertThat(s).isLessThan(float32 * 3 / 10));
        }
    }
}
