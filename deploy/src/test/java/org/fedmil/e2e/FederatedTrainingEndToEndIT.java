package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The whole path: an in-process coordinator and two site agents over real mutual TLS on loopback, real DJL. */
class FederatedTrainingEndToEndIT {

    /** Held-out AUC the federated attention-MIL model must exceed after 3 rounds on the synthetic data. */
    static final double FINAL_AUC_THRESHOLD = 0.80;

    @Test
    void twoSitesTrainThreeRoundsAndHeldOutAucRisesAboveThreshold(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 3, 120, 150)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            ExecutorCompletionService<Integer> exits = new ExecutorCompletionService<>(pool);
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            for (String name : List.of("site-1", "site-2")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outs.add(out);
                var config = fed.siteConfig(name, fed.site(name));
                exits.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                });
            }
            // In completion order, so that one agent's failure surfaces at once instead of as a hang of the other.
            for (int i = 0; i < 2; i++) {
                Future<Integer> exit = exits.poll(5, TimeUnit.MINUTES);
                assertThat(exit).as("a site agent finished within 5 minutes").isNotNull();
                assertThat(exit.get()).as("site agent exit code").isZero();
            }
            pool.shutdown();

            FederationRun run = fed.coordinator.run();
            assertThat(run.phase()).isEqualTo(FederationRun.Phase.FINISHED);
            List<RoundResult> history = run.history();
            assertThat(history).extracting(RoundResult::round).containsExactly(0, 1, 2, 3);
            double initial = history.get(0).heldout().auc();
            double last = history.get(3).heldout().auc();
            System.out.printf("e2e held-out AUC per round: %s%n",
                    history.stream().map(r -> String.format("%.3f", r.heldout().auc())).toList());
            assertThat(last).as("final held-out AUC").isGreaterThan(FINAL_AUC_THRESHOLD);
            assertThat(last).as("AUC rises from the initial model's").isGreaterThan(initial + 0.1);
            assertThat(history.get(3).warnings()).as("a federation that learns is not told it learned nothing")
                    .extracting(org.fedmil.mil.eval.LearningWarning::kind)
                    .doesNotContainAnyElementsOf(LearnedNothingFederationIT.LEARNED_NOTHING);
            for (RoundResult r : history.subList(1, 4)) {
                assertThat(r.sites()).containsExactly("site-1", "site-2");
                assertThat(r.trainingBags()).isEqualTo(240);
            }
            // Every round's model and the metrics are in the state folder.
            Path state = dir.resolve("state");
            for (int v = 0; v <= 3; v++) {
                assertThat(state.resolve(String.format("models/model-v%04d.bin", v))).exists();
                assertThat(state.resolve(String.format("models/model-v%04d.json", v))).exists();
            }
            assertThat(Files.readString(state.resolve("metrics.json"))).contains("\"round\" : 3");
            // Each site kept the final global model it evaluated, byte-identical to the coordinator's version 3.
            for (String name : List.of("site-1", "site-2")) {
                ModelFile kept = ModelFile.read(LocalModelStore.globalModelFile(fed.stateDir(name)));
                assertThat(kept.metadata()).containsEntry("federation_id", "e2e").containsEntry("model_version", "3")
                        .containsEntry("model_sha256", history.get(3).modelSha256()).containsEntry("task", "evaluate");
                assertThat(Sha256.hex(Sha256.of(TensorCodec.encode(kept.weights()))))
                        .isEqualTo(history.get(3).modelSha256());
            }
            assertThat(fed.console()).contains("site site-1 joined").contains("site site-2 evaluated model v3");
            assertThat(outs.get(0).toString(StandardCharsets.UTF_8)).contains("site site-1 round 3: trained 120 bags")
                    // the training's progress, as plain lines: the agent's output here is not a terminal
                    .containsPattern("site site-1 round 3: epoch 2/2, bags 120/120 \\(100%\\), loss \\d\\.\\d{4}, ETA done")
                    .doesNotContain("\r");
            assertThat(run.awaitSitesStopped(Duration.ofSeconds(5))).isTrue();

            // The signed round log verifies with the consortium CA and holds every event of the federation.
            Path roundLog = state.resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, fed.ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            assertThat(verdict.tornLastLine()).isFalse();
            Map<String, Long> types = new TreeMap<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(roundLog)) {
                types.merge(json.readTree(line).get("type").asText(), 1L, Long::sum);
            }
            assertThat(types).containsEntry("federation_created", 1L).containsEntry("initial_model", 1L)
                    .containsEntry("site_joined", 2L).containsEntry("round_started", 3L)
                    .containsEntry("update_accepted", 6L).containsEntry("round_aggregated", 3L)
                    .containsEntry("model_evaluated", 2L).containsEntry("federation_finished", 1L);
            assertThat(Files.readString(roundLog)).contains(history.get(3).modelSha256());
            StringWriter cliOut = new StringWriter();
            CommandLine cli = Fedmil.commandLine();
            cli.setOut(new PrintWriter(cliOut));
            int exit = cli.execute("audit", "verify", roundLog.toString(), "--ca",
                    fed.ca.layout().caCert().toString());
            assertThat(exit).as(cliOut.toString()).isZero();
            assertThat(cliOut.toString()).startsWith("OK: " + verdict.records() + " records, chain and signatures "
                    + "verified, head " + verdict.head());
        }
    }
}
