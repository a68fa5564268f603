package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
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
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator as its own process, SIGKILLed in the middle of a round and started again on the same state
 * folder and port: the real site agents carry on without operator action, the federation finishes, and every
 * round is in metrics.json exactly once. The federation runs FedAdam, whose server state (m, v) must be taken up
 * from the state folder: the restarted coordinator refuses to start without the state of its last round.
 */
class CoordinatorRestartIT {

    private static final int ROUNDS = 4;

    @Test
    void aCoordinatorKilledMidRoundResumesFromItsStateFolderAndNoRoundIsLostOrCountedTwice(@TempDir Path dir)
            throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2).withBags(30, 40).withSeed(7))
                .writeTo(dir.resolve("data"));
        int port = freePort();
        Path yaml = dir.resolve("coordinator.yaml");
        Files.writeString(yaml, """
                federation_id: restart
                listen:
                  host: 127.0.0.1
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                state_dir: state
                heldout_dir: data/heldout
                min_sites: 2
                rounds: %d
                round_deadline_seconds: 300
                model:
                  hidden_dim: 16
                  attention_dim: 8
                training:
                  local_epochs: 1
                  learning_rate: 0.002
                strategy:
                  name: fedadam
                  server_learning_rate: 0.01
                """.formatted(port, server.cert(), server.key(), server.ca(), ROUNDS));
        Path metrics = dir.resolve("state/metrics.json");

        Process first = startCoordinator(yaml, dir.resolve("coordinator-1.log"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            awaitLog(first, dir.resolve("coordinator-1.log"), "listening on");
            List<Future<Integer>> agents = new ArrayList<>();
            for (String name : List.of("site-1", "site-2")) {
                SiteConfig config = new SiteConfig(new SiteConfig.Coordinator("localhost", port),
                        TestFederation.tls(ca.issueSite(name, ConsortiumCa.DEFAULT_PARTY_VALIDITY)),
                        dir.resolve("data").resolve(name), "auto", 2_000, 300, dir.resolve(name + "-state"), null)
                        .resolvedAgainst(dir.resolve(name + ".yaml"));
                agents.add(pool.submit(() -> {
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(
                            Files.newOutputStream(dir.resolve(name + ".log")), true, StandardCharsets.UTF_8))) {
                        return agent.run();
                    }
                }));
            }

            // Kill as soon as round 1 is recorded: round 2 is then open, its updates on the way or in.
            await("round 1 completes").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
                assertThat(first.isAlive()).as("coordinator still running; see coordinator-1.log").isTrue();
                return roundsIn(metrics).size() >= 2;
            });
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            List<Integer> atKill = roundsIn(metrics);
            JsonNode stateAtKill = StateStore.JSON.readTree(dir.resolve("state/state.json").toFile());

            Process second = startCoordinator(yaml, dir.resolve("coordinator-2.log"));
            try {
                awaitLog(second, dir.resolve("coordinator-2.log"), "listening on");
                for (Future<Integer> agent : agents) {
                    assertThat(agent.get(8, TimeUnit.MINUTES)).as("agent exit code").isZero();
                }
                assertThat(second.waitFor(2, TimeUnit.MINUTES)).as("the restarted coordinator finishes").isTrue();
                assertThat(second.exitValue()).isZero();
            } finally {
                second.destroyForcibly();
            }

            String log2 = Files.readString(dir.resolve("coordinator-2.log"));
            assertThat(log2).contains("resumed from").contains("after round " + atKill.get(atKill.size() - 1));
            assertThat(roundsIn(metrics)).as("every round exactly once, in order (killed with rounds " + atKill
                    + " recorded, state " + stateAtKill.path("phase") + " round " + stateAtKill.path("round") + ")")
                    .containsExactly(0, 1, 2, 3, 4);
            JsonNode recorded = StateStore.JSON.readTree(metrics.toFile());
            for (int r = 0; r <= ROUNDS; r++) {
                assertThat(recorded.get(r).path("model_version").asInt()).isEqualTo(r);
                assertThat(Files.exists(dir.resolve(String.format("state/models/model-v%04d.bin", r)))).isTrue();
            }
            assertThat(recorded.get(ROUNDS).path("sites").toString()).contains("site-1").contains("site-2");
            // FedAdam's state is saved with every round; the last two rounds' are kept
            JsonNode state = StateStore.JSON.readTree(dir.resolve(String.format("state/strategy/state-r%04d.json",
                    ROUNDS)).toFile());
            assertThat(state.path("strategy").asText()).isEqualTo("fedadam");
            assertThat(state.path("round").asInt()).isEqualTo(ROUNDS);
            assertThat(Files.exists(dir.resolve("state/strategy/state-r0001.json"))).isFalse();

            // The round log survived the SIGKILL: one chain across both runs, with the restart in it.
            Path roundLog = dir.resolve("state/round-log.jsonl");
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            assertThat(verdict.tornLastLine()).isFalse();
            List<String> types = new java.util.ArrayList<>();
            for (String line : Files.readAllLines(roundLog)) {
                types.add(StateStore.JSON.readTree(line).path("type").asText());
            }
            assertThat(types.get(0)).isEqualTo("federation_created");
            JsonNode created = StateStore.JSON.readTree(Files.readAllLines(roundLog).get(0));
            assertThat(created.toString()).contains("\"strategy\":\"fedadam\"").contains("server_learning_rate");
            assertThat(types).containsOnlyOnce("coordinator_restarted").containsOnlyOnce("federation_finished");
            assertThat(types.get(types.size() - 1)).isEqualTo("federation_finished");
        } finally {
            first.destroyForcibly();
            pool.shutdownNow();
        }
    }

    private static Process startCoordinator(Path yaml, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), "org.fedmil.cli.Fedmil", "coordinator",
                "--config", yaml.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitLog(Process p, Path log, String text) {
        await("'" + text + "' in " + log).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return true;
            }
            assertThat(p.isAlive()).as("coordinator process alive; its log: " + (Files.exists(log) ? Files.readString(log) : ""))
                    .isTrue();
            return false;
        });
    }

    /** The rounds metrics.json records, in file order; empty before it exists. */
    static List<Integer> roundsIn(Path metrics) throws IOException {
        List<Integer> out = new ArrayList<>();
        if (!Files.exists(metrics)) {
            return out;
        }
        for (JsonNode n : StateStore.JSON.readTree(metrics.toFile())) {
            out.add(n.path("round").asInt());
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
