package org.fedmil.bench.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;

/**
 * FedMIL's side of {@code bench peers}: the real coordinator ({@code fedmil coordinator}) and K real site agents,
 * each its own JVM, over mutual TLS on loopback, with the signed round log and the model saved every round. The
 * held-out evaluation is off ({@code evaluation.held_out: false}) as Flower's server evaluates nothing either.
 */
final class FedmilPeerRun {

    private static final int BAGS_PER_SITE = 2;
    private static final int INSTANCES_PER_BAG = 4;
    /** Adam's learning rate of the real trainer at both frameworks' sites. */
    static final double LEARNING_RATE = 0.0005;

    /**
     * How the processes are started: heap options per role, native memory tracking, the trainer, and the class path
     * of FedMIL's processes (this JVM's, or another build's for a before/after comparison in one run).
     */
    record Options(List<String> coordinatorJvm, List<String> siteJvm, boolean realTrainer, boolean nativeMemory,
                   String classPath, boolean countWire, java.util.Map<String, String> coordinatorEnv) {
    }

    private FedmilPeerRun() {
    }

    static PeerRun run(Path work, ModelSpec spec, int sites, int rounds, Options options, ProcessProbe probe,
                       PrintStream log) throws Exception {
        work = work.toAbsolutePath();
        Files.createDirectories(work);
        double loadBefore = LoadAverage.now();
        ConsortiumCa ca = ConsortiumCa.init(work.resolve("pki"), "peers", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        Random rng = new Random(7);
        writeSite(work.resolve("data/heldout"), spec.inputDim(), rng);
        List<Path> siteYamls = new ArrayList<>();
        int port = freePort();
        WireRelay relay = options.countWire() ? new WireRelay(port) : null;
        int sitePort = relay == null ? port : relay.port();
        for (int i = 1; i <= sites; i++) {
            PartyCredentials c = ca.issueSite("site-" + i, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            writeSite(siteData(work, sites).get(i - 1), spec.inputDim(), rng);
            Path yaml = work.resolve("site-" + i + ".yaml");
            Files.writeString(yaml, siteYaml(sitePort, c, i), StandardCharsets.UTF_8);
            siteYamls.add(yaml);
        }
        Path coordinatorYaml = work.resolve("coordinator.yaml");
        Files.writeString(coordinatorYaml, coordinatorYaml(port, server, spec, sites, rounds), StandardCharsets.UTF_8);

        Path logs = Files.createDirectories(work.resolve("logs"));
        Process coordinator = start(work, options.classPath(), options.coordinatorJvm(), options.nativeMemory(),
                Fedmil.class.getName(),
                List.of("coordinator", "--config", coordinatorYaml.toString()), logs.resolve("coordinator.log"),
                options.coordinatorEnv());
        probe.watch(coordinator);
        List<Process> siteProcs = new ArrayList<>();
        try {
            waitForLine(logs.resolve("coordinator.log"), "listening on", coordinator, Duration.ofMinutes(5));
            for (int i = 0; i < sites; i++) {
                Process p = options.realTrainer()
                        ? start(work, options.classPath(), options.siteJvm(), options.nativeMemory() && i == 0,
                        Fedmil.class.getName(),
                        List.of("site", "run", "--config", siteYamls.get(i).toString()),
                        logs.resolve("site-" + (i + 1) + ".log"), java.util.Map.of())
                        : start(work, options.classPath(), options.siteJvm(), options.nativeMemory() && i == 0,
                        FixedDeltaSiteMain.class.getName(), List.of(siteYamls.get(i).toString()),
                        logs.resolve("site-" + (i + 1) + ".log"), java.util.Map.of());
                probe.watch(p);
                siteProcs.add(p);
            }
            if (options.nativeMemory()) {
                NativeMemory.snapshotMidway(work.resolve("state/metrics.json"), rounds, coordinator,
                        siteProcs.get(0), work, log);
            }
            if (!coordinator.waitFor(2, TimeUnit.HOURS)) {
                throw new IllegalStateException("the coordinator did not finish in 2 h; see " + logs);
            }
            for (Process p : siteProcs) {
                p.waitFor(2, TimeUnit.MINUTES);
            }
            if (coordinator.exitValue() != 0) {
                throw new IllegalStateException("the coordinator exited with " + coordinator.exitValue() + "; see "
                        + logs.resolve("coordinator.log"));
            }
            List<ProcessProbe.Reading> clients = siteProcs.stream().map(probe::of).toList();
            return new PeerRun("FedMIL", sites, probe.of(coordinator), clients,
                    roundSeconds(work.resolve("state/metrics.json")), loadBefore, LoadAverage.now(),
                    relay == null ? WireRelay.Counts.NONE : relay.counts());
        } finally {
            if (relay != null) {
                relay.close();
            }
            for (Process p : siteProcs) {
                p.destroyForcibly();
            }
            coordinator.destroyForcibly();
        }
    }

    /** The site folders a run in {@code work} wrote, site 1 first: Flower's training clients read the same bags. */
    static List<Path> siteData(Path work, int sites) {
        List<Path> dirs = new ArrayList<>();
        for (int i = 1; i <= sites; i++) {
            dirs.add(work.toAbsolutePath().resolve("data/site-" + i));
        }
        return dirs;
    }

    /** Two bags (one per label) of random features, the site data format. */
    private static void writeSite(Path dir, int inputDim, Random rng) throws IOException {
        Files.createDirectories(dir.resolve("bags"));
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        for (int b = 0; b < BAGS_PER_SITE; b++) {
            float[] values = new float[INSTANCES_PER_BAG * inputDim];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) rng.nextGaussian();
            }
            Npy.write(dir.resolve("bags/b" + b + ".npy"), new Npy.Matrix(INSTANCES_PER_BAG, inputDim, values));
            csv.append("b").append(b).append(',').append(b % 2).append('\n');
        }
        Files.writeString(dir.resolve("bags.csv"), csv.toString(), StandardCharsets.UTF_8);
    }

    private static String coordinatorYaml(int port, PartyCredentials tls, ModelSpec spec, int sites, int rounds) {
        return """
                # written by fedmil bench peers (org.fedmil.bench.peers); keys in docs/configuration.md
                federation_id: peers-%d
                listen:
                  host: 127.0.0.1
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                state_dir: state
                heldout_dir: data/heldout
                min_sites: %d
                min_updates: %d
                round_deadline_seconds: 0
                rounds: %d
                model:
                  architecture: %s
                  input_dim: %d
                  hidden_dim: %d
                  attention_dim: %d
                training:
                  local_epochs: 1
                  learning_rate: %s
                  seed: 1
                evaluation:
                  held_out: false
                early_stopping:
                  enabled: false
                """.formatted(sites, port, tls.cert(), tls.key(), tls.ca(), sites, sites, rounds,
                spec.architecture().configName(), spec.inputDim(), spec.hiddenDim(), spec.attentionDim(),
                Double.toString(LEARNING_RATE));
    }

    private static String siteYaml(int port, PartyCredentials tls, int i) {
        return """
                # written by fedmil bench peers
                coordinator:
                  host: localhost
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                data_dir: data/site-%d
                state_dir: site-%d-state
                device: cpu
                connect_timeout_seconds: 300
                """.formatted(port, tls.cert(), tls.key(), tls.ca(), i, i);
    }

    private static Process start(Path work, String classPath, List<String> jvm, boolean nativeMemory, String main,
                                 List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvm);
        if (nativeMemory) {
            cmd.add("-XX:NativeMemoryTracking=summary");
        }
        cmd.addAll(List.of("-Djdk.nio.maxCachedBufferSize=262144", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1", "-cp", classPath, main));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static void waitForLine(Path log, String text, Process p, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("exited with " + p.exitValue() + " before printing '" + text
                        + "'; see " + log);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no '" + text + "' in " + log + " after " + timeout);
    }

    /** Seconds of every training round in metrics.json (round 0, the initial model, left out). */
    static double[] roundSeconds(Path metrics) throws IOException {
        JsonNode all = new ObjectMapper().readTree(metrics.toFile());
        JsonNode rounds = all.isArray() ? all : all.path("rounds");
        List<Double> s = new ArrayList<>();
        for (JsonNode r : rounds) {
            if (r.path("round").asInt() > 0) {
                s.add(r.path("seconds").asDouble());
            }
        }
        return s.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
