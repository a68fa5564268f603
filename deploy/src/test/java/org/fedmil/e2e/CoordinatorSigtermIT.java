package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator as its own process (`fedmil coordinator`), stopped with SIGTERM as systemd or Ctrl-C stops it:
 * it says the federation is resumable, not finished, leaves it resumable on disk, and a new process on the same
 * state folder takes it up. Both processes print the ready line once their port is open.
 */
class CoordinatorSigtermIT {

    @Test
    void sigtermStopsTheCoordinatorButNotTheFederationWhichResumesOnRestart(@TempDir Path dir) throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2).withBags(20, 30).withSeed(7))
                .writeTo(dir.resolve("data"));
        int port = freePort();
        Path yaml = dir.resolve("coordinator.yaml");
        Files.writeString(yaml, """
                federation_id: sigterm
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
                rounds: 2
                model:
                  hidden_dim: 16
                  attention_dim: 8
                """.formatted(port, server.cert(), server.key(), server.ca()));
        String ready = "coordinator ready: listening on 127.0.0.1:" + port + ", federation 'sigterm', round 1 of 2 "
                + "next, 0 of 2 sites joined";

        Path log1 = dir.resolve("coordinator-1.log");
        Process first = startCoordinator(yaml, log1);
        boolean readySeen;
        try {
            awaitLog(first, log1, "network: "); // the line after "listening on", as before the ready line existed
            readySeen = logGets(log1, ready, Duration.ofSeconds(20));
            first.destroy(); // SIGTERM
            assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            first.destroyForcibly();
        }
        String stopped = Files.readString(log1);
        assertThat(stopped).contains("coordinator stopped in round 0 (waiting_for_sites); federation 'sigterm' is "
                + "resumable: start the coordinator again with the same state folder")
                .doesNotContain("federation finished");
        assertThat(readySeen).as("the ready line in " + stopped).isTrue();
        assertThat(stopped.indexOf("scoring the held-out set (30 bags) before opening the port"))
                .isNotNegative().isLessThan(stopped.indexOf(ready));
        // no transition happened yet, so state.json need not exist; if it does, it is not finished
        Path state = dir.resolve("state/state.json");
        if (Files.exists(state)) {
            assertThat(StateStore.JSON.readTree(state.toFile()).path("phase").asText()).isNotEqualTo("FINISHED");
        }
        assertThat(Files.readString(dir.resolve("state/round-log.jsonl"))).doesNotContain("federation_finished");

        Path log2 = dir.resolve("coordinator-2.log");
        Process second = startCoordinator(yaml, log2);
        try {
            awaitLog(second, log2, ready);
            assertThat(Files.readString(log2)).contains("resumed from").doesNotContain("has finished");
        } finally {
            second.destroy();
            if (!second.waitFor(60, TimeUnit.SECONDS)) {
                second.destroyForcibly();
            }
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
        await("'" + text + "' in " + log).atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (Files.exists(log) && Files.readString(log).contains(text)) {
                        return true;
                    }
                    assertThat(p.isAlive()).as("coordinator process alive; its log: "
                            + (Files.exists(log) ? Files.readString(log) : "")).isTrue();
                    return false;
                });
    }

    /** Whether {@code text} shows up in the log within {@code patience}. */
    private static boolean logGets(Path log, String text, Duration patience) throws Exception {
        long end = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < end) {
            if (Files.readString(log).contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
