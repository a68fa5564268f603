package org.fedmil.bench.scale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedmil.bench.perf.Medians;
import org.fedmil.config.TlsFiles;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;

/**
 * One federation of {@code sites} simulated sites and {@code rounds} rounds against a real coordinator in a child
 * JVM: its own PKI (one EC certificate per site), a tiny attention model over synthetic feature bags (the
 * coordinator still evaluates every round on its held-out set with DJL), mutual TLS on loopback.
 */
public final class ScaleRun {

    /** What one run measured. Threads and heap are of the coordinator JVM only. */
    public record Result(int sites, int rounds, double medianRoundSeconds, int idleThreads, int peakThreads,
                         long idleHeapBytes, long loadedHeapBytes, long idleFds, long loadedFds, double wallSeconds,
                         int uploads) {

        /** Threads the coordinator added per connected site, at the busiest moment of the run. */
        public double threadsPerSite() {
            return (peakThreads - idleThreads) / (double) sites;
        }
    }

    private ScaleRun() {
    }

    /**
     * @param pollWaitMs the sites' long-poll hold, as {@code poll_wait_ms} in site.yaml
     */
    public static Result run(Path work, int sites, int rounds, int pollWaitMs, String coordinatorHeap,
                             java.io.PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        // absolute from here on: the coordinator runs in the work folder and resolves the paths written into its
        // config against it, so a relative --work (the default, target/bench-perf) would resolve twice
        work = work.toAbsolutePath();
        Files.createDirectories(work);
        ConsortiumCa ca = ConsortiumCa.init(work.resolve("pki"), "scale", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        List<TlsFiles> siteTls = new ArrayList<>();
        for (int i = 1; i <= sites; i++) {
            PartyCredentials c = ca.issueSite("site-" + i, ConsortiumCa.DEFAULT_PARTY_VALIDITY);
            siteTls.add(new TlsFiles(c.cert(), c.key(), c.ca()));
        }
        // only the held-out set is read (by the coordinator); simulated sites have no data
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(20, 40).withSeed(7))
                .writeTo(work.resolve("data"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path yaml = work.resolve("coordinator.yaml");
        Files.writeString(yaml, """
                # written by the scale benchmark (org.fedmil.bench.scale.ScaleRun)
                federation_id: scale-%d
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
                round_deadline_seconds: 600
                rounds: %d
                model:
                  hidden_dim: 8
                  attention_dim: 4
                training:
                  local_epochs: 1
                  learning_rate: 0.005
                  seed: 1
                """.formatted(sites, port, server.cert(), server.key(), server.ca(), sites, sites, rounds),
                StandardCharsets.UTF_8);
        Path probes = work.resolve("probes.txt");
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx" + coordinatorHeap,
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), ScaleCoordinatorMain.class.getName(),
                yaml.toString(), probes.toString());
        Process coordinator = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("coordinator.log").toFile()).start();
        List<Thread> threads = new ArrayList<>();
        List<SimulatedSite> simulated = new ArrayList<>();
        try (OutputStream probe = coordinator.getOutputStream()) {
            waitForLine(work.resolve("coordinator.log"), "listening on", coordinator, Duration.ofMinutes(3));
            long[] idle = probe(probe, probes, 1, coordinator);
            CountDownLatch joined = new CountDownLatch(sites);
            for (int i = 0; i < sites; i++) {
                SimulatedSite s = new SimulatedSite("site-" + (i + 1), i, "localhost", port, siteTls.get(i),
                        pollWaitMs, joined);
                simulated.add(s);
                Thread t = new Thread(s, "simulated-site-" + (i + 1));
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            if (!joined.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException(joined.getCount() + " of " + sites + " sites did not join in 5 min; "
                        + firstFailure(simulated));
            }
            Path metrics = work.resolve("state/metrics.json");
            // the loaded probe: every site connected and the federation past its first rounds
            int probeAfter = Math.min(rounds, Math.max(1, rounds / 2));
            while (completedRounds(metrics) <= probeAfter && coordinator.isAlive()) {
                Thread.sleep(100);
            }
            long[] loaded = coordinator.isAlive() ? probe(probe, probes, 2, coordinator) : idle;
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(10));
            }
            if (!coordinator.waitFor(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("coordinator did not exit; see " + work.resolve("coordinator.log"));
            }
            Throwable failed = firstFailure(simulated);
            if (coordinator.exitValue() != 0 || failed != null) {
                throw new IllegalStateException("scale run of " + sites + " sites failed: coordinator exit "
                        + coordinator.exitValue() + ", first site failure " + failed + "; see "
                        + work.resolve("coordinator.log"), failed);
            }
            double[] seconds = roundSeconds(metrics);
            if (seconds.length != rounds) {
                throw new IllegalStateException(seconds.length + " of " + rounds + " rounds in " + metrics);
            }
            // round 1 also warms up the JIT and TLS session paths; the median of the rest, or of all if too few
            double[] steady = rounds > 2 ? java.util.Arrays.copyOfRange(seconds, 1, seconds.length) : seconds;
            int uploads = simulated.stream().mapToInt(SimulatedSite::uploads).sum();
            Result r = new Result(sites, rounds, Medians.median(steady), (int) idle[0], (int) loaded[1], idle[2],
                    loaded[2], idle[3], loaded[3], (System.nanoTime() - t0) / 1e9, uploads);
            log.printf(java.util.Locale.ROOT, "scale: %d sites × %d rounds: median round %.3f s, coordinator threads "
                    + "%d idle → %d peak (%.2f per site), heap after GC %.1f → %.1f MiB, fds %d → %d, %d uploads, "
                    + "%.1f s%n", sites, rounds, r.medianRoundSeconds(), r.idleThreads(), r.peakThreads(),
                    r.threadsPerSite(), r.idleHeapBytes() / 1048576.0, r.loadedHeapBytes() / 1048576.0, r.idleFds(),
                    r.loadedFds(), uploads, r.wallSeconds());
            return r;
        } finally {
            if (coordinator.isAlive()) {
                coordinator.destroyForcibly().waitFor();
            }
            for (Thread t : threads) {
                t.interrupt();
            }
        }
    }

    private static Throwable firstFailure(List<SimulatedSite> sites) {
        return sites.stream().map(SimulatedSite::failure).filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    private static long[] probe(OutputStream probe, Path probes, int expectLines, Process coordinator)
            throws Exception {
        probe.write("probe\n".getBytes(StandardCharsets.UTF_8));
        probe.flush();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end && coordinator.isAlive()) {
            if (Files.exists(probes)) {
                List<String> lines = Files.readAllLines(probes);
                if (lines.size() >= expectLines) {
                    String[] f = lines.get(expectLines - 1).trim().split(" ");
                    return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                            Long.parseLong(f[3])};
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("coordinator did not answer probe " + expectLines);
    }

    private static void waitForLine(Path log, String text, Process p, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("coordinator exited " + p.exitValue() + " before '" + text + "': "
                        + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("coordinator did not print '" + text + "' within " + timeout);
    }

    private static int completedRounds(Path metrics) {
        try {
            return Files.exists(metrics) ? roundSeconds(metrics).length : 0;
        } catch (IOException | RuntimeException e) {
            return 0; // written atomically, but may not exist yet
        }
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
}
