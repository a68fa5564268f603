package org.fedmil.bench.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.tensor.TensorSpec;

/**
 * Flower's side of {@code bench peers}: its legacy {@code start_server} with FedAvg and K {@code start_client}
 * processes (insecure gRPC on loopback, as Flower's quickstarts), running {@code flower_peer.py}. Flower comes from
 * {@code --flower} (a folder holding the {@code flwr} package and, for Debian's Python, the {@code shims} folder
 * of ../shared/peers/flower), or from the Python's own installation (pip install flwr).
 */
final class FlowerPeerRun {

    private static final Pattern ROUND = Pattern.compile("flower-round (\\d+) (start|end) ([0-9.]+)");

    private FlowerPeerRun() {
    }

    /** Why Flower cannot run here, or empty when {@code import flwr} works with these settings. */
    static Optional<String> unavailable(String python, Path flower, Path work) throws Exception {
        Path script = script(work);
        Process p = new ProcessBuilder(python, "-c", "import sys; sys.path[:0] = sys.argv[1:]\n"
                + "try:\n    import flwr_shims\nexcept ImportError:\n    pass\n"
                + "from flwr.compat.server.app import start_server; from flwr.compat.client.app import start_client",
                flower == null ? "" : flower.toString(), flower == null ? "" : flower.resolve("shims").toString(),
                script.getParent().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            String last = out.strip().lines().reduce((a, b) -> b).orElse("no output");
            return Optional.of("Flower cannot be imported with " + python + (flower == null ? "" : " from " + flower)
                    + ": " + last);
        }
        return Optional.empty();
    }

    /**
     * @param trainOn each client's site folder (FedMIL's data format) to train on in PyTorch, or empty for clients
     *                that return a fixed delta
     */
    static PeerRun run(Path work, String python, Path flower, List<TensorSpec> tensors, int clients, int rounds,
                       List<Path> trainOn, boolean countWire, ProcessProbe probe, PrintStream log) throws Exception {
        work = work.toAbsolutePath();
        Files.createDirectories(work);
        double loadBefore = LoadAverage.now();
        Path script = script(work);
        String shapes = shapesJson(tensors);
        int port = FedmilPeerRun.freePort();
        Path serverLog = work.resolve("flower-server.log");
        Process server = start(work, python, flower, List.of(script.toString(), "server", Integer.toString(port),
                Integer.toString(rounds), Integer.toString(clients), shapes), serverLog);
        probe.watch(server);
        List<Process> procs = new ArrayList<>();
        WireRelay relay = countWire ? new WireRelay(port) : null;
        try {
            waitForPort(port, server, serverLog, Duration.ofMinutes(3));
            int clientPort = relay == null ? port : relay.port();
            for (int i = 1; i <= clients; i++) {
                List<String> args = new ArrayList<>(List.of(script.toString(), "client", Integer.toString(clientPort),
                        shapes));
                if (!trainOn.isEmpty()) {
                    args.addAll(List.of(trainOn.get(i - 1).toAbsolutePath().toString(),
                            Double.toString(FedmilPeerRun.LEARNING_RATE), "1"));
                }
                Process c = start(work, python, flower, args, work.resolve("flower-client-" + i + ".log"));
                probe.watch(c);
                procs.add(c);
            }
            if (!server.waitFor(2, TimeUnit.HOURS)) {
                throw new IllegalStateException("the Flower server did not finish in 2 h; see " + serverLog);
            }
            for (Process c : procs) {
                c.waitFor(2, TimeUnit.MINUTES);
            }
            double[] seconds = roundSeconds(Files.readString(serverLog));
            if (server.exitValue() != 0 || seconds.length != rounds) {
                throw new IllegalStateException("the Flower server exited with " + server.exitValue() + " after "
                        + seconds.length + " of " + rounds + " rounds; see " + serverLog);
            }
            return new PeerRun("Flower", clients, probe.of(server), procs.stream().map(probe::of).toList(), seconds,
                    loadBefore, LoadAverage.now(), relay == null ? WireRelay.Counts.NONE : relay.counts());
        } finally {
            if (relay != null) {
                relay.close();
            }
            for (Process c : procs) {
                c.destroyForcibly();
            }
            server.destroyForcibly();
        }
    }

    /** Each round from its configure_fit to the end of its aggregate_fit, by the server's clock. */
    static double[] roundSeconds(String serverLog) {
        TreeMap<Integer, double[]> rounds = new TreeMap<>();
        Matcher m = ROUND.matcher(serverLog);
        while (m.find()) {
            double[] r = rounds.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new double[] {Double.NaN,
                    Double.NaN});
            r[m.group(2).equals("start") ? 0 : 1] = Double.parseDouble(m.group(3));
        }
        return rounds.values().stream().filter(r -> !Double.isNaN(r[0]) && !Double.isNaN(r[1]))
                .mapToDouble(r -> r[1] - r[0]).toArray();
    }

    static String shapesJson(List<TensorSpec> tensors) {
        List<String> shapes = new ArrayList<>();
        for (TensorSpec t : tensors) {
            shapes.add(java.util.Arrays.toString(t.shape()));
        }
        return "[" + String.join(",", shapes) + "]";
    }

    private static Path script(Path work) throws IOException {
        Files.createDirectories(work);
        Path script = work.resolve("flower_peer.py");
        try (InputStream in = FlowerPeerRun.class.getResourceAsStream("flower_peer.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    private static Process start(Path work, String python, Path flower, List<String> args, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(python));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (flower != null) {
            pb.environment().put("PYTHONPATH", flower + ":" + flower.resolve("shims"));
        }
        return pb.start();
    }

    private static void waitForPort(int port, Process server, Path log, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!server.isAlive()) {
                    throw new IllegalStateException("the Flower server exited with " + server.exitValue()
                            + "; see " + log);
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the Flower server did not open port " + port + " in " + timeout);
    }
}
