package org.fedmil.bench.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.data.synth.SyntheticMilData;

/**
 * Bags per second of attention-MIL training with {@code LocalTrainer} (DJL on PyTorch, CPU)
 * against the same model, data, optimiser and thread count in PyTorch itself (Debian's python3-torch running
 * mil_peer.py, shipped in this jar). Both sides run as subprocesses back to back, so the thread count is set the
 * way each engine reads it: DJL's {@code ai.djl.pytorch.num_threads} and {@code OMP_NUM_THREADS}, torch's
 * {@code set_num_threads}. The data are the demo's synthetic bags (32 features, the largest site: mean bag size
 * 50), written as .npy once and read by both; the model is the demo's (hidden 64, attention 32).
 */
public final class TrainingThroughputBenchmark implements PerfBenchmark {

    static final String PEER_PYTHON = "/usr/bin/python3";
    private static final int HIDDEN = 64;
    private static final int ATTENTION = 32;
    private static final double LEARNING_RATE = 1e-3;

    @Override
    public String id() {
        return "training";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        Path data = context.work().resolve("training-data");
        SyntheticMilData.generate(SyntheticMilData.Config.defaults()).writeTo(data);
        Path site = data.resolve("site-3");
        Path script = extractPeer(context.work());
        // the JVM needs a few trainings before the JIT has compiled the step; a site trains every round in one
        // process, so the steady state is the figure that matters (both sides get the same warm-up)
        int warmups = context.pick(5, 1);
        int reps = context.pick(5, 1);
        int passes = context.pick(2, 1);
        // 4 epochs = 640 steps per repetition: long enough that the JVM's 10 ms CPU-time ticks stay small
        int epochs = context.pick(4, 1);
        boolean peerAvailable = Files.isExecutable(Path.of(PEER_PYTHON)) && peerHasTorch();
        List<Figure> figures = new ArrayList<>();
        for (int threads : context.quick() ? new int[] {1} : new int[] {1, 2}) {
            // DJL, peer, DJL, peer…: alternating passes, so a neighbour's load on the shared machine falls on both
            Rates djlRates = new Rates();
            Rates peerRates = new Rates();
            for (int pass = 0; pass < passes; pass++) {
                djlRates.add(runJson(djlCommand(site, epochs, warmups, reps), threads));
                if (peerAvailable) {
                    peerRates.add(runJson(List.of(PEER_PYTHON, script.toString(), site.toString(),
                            "--threads", "" + threads, "--hidden", "" + HIDDEN, "--attention", "" + ATTENTION,
                            "--epochs", "" + epochs, "--warmups", "" + warmups, "--reps", "" + reps,
                            "--lr", "" + LEARNING_RATE), threads));
                }
            }
            String how = "synthetic site-3 (160 bags, mean 50 × 32 features), hidden 64, attention 32, one bag "
                    + "per step, " + epochs + " epochs per repetition; median of " + passes + " alternating passes × "
                    + reps + " repetitions after " + warmups + " warm-up trainings, each pass in a fresh process";
            String peerName = peerAvailable ? "PyTorch (python3-torch) on the same bags, model, Adam, threads"
                    : "PyTorch peer not installed (apt-get install python3-torch)";
            String suffix = ", " + threads + " thread" + (threads == 1 ? "" : "s");
            double djl = Medians.median(toArray(djlRates.wall));
            double peer = peerAvailable ? Medians.median(toArray(peerRates.wall)) : Double.NaN;
            double djlCpu = Medians.median(toArray(djlRates.cpu));
            double peerCpu = peerAvailable ? Medians.median(toArray(peerRates.cpu)) : Double.NaN;
            context.out().printf(Locale.ROOT, "threads %d: DJL %.1f bags/s (%.1f per CPU-s), PyTorch %.1f bags/s "
                    + "(%.1f per CPU-s)%n", threads, djl, djlCpu, peer, peerCpu);
            figures.add(new Figure("training.bags_per_second." + threads + "t",
                    "attention-MIL training" + suffix, djl, "bags/s", peer, peerName, 0.9, true, how));
            // the wall clock on a shared 2-core machine swings with the neighbours' load; CPU time charged to the
            // process is steadier and says the same thing for one thread
            figures.add(new Figure("training.bags_per_cpu_second." + threads + "t",
                    "attention-MIL training per CPU-second" + suffix, djlCpu, "bags/CPU-s", peerCpu, peerName,
                    0.9, true, how + "; CPU time of the whole process (JIT, GC, interpreter included)"));
        }
        return figures;
    }

    private static List<String> djlCommand(Path site, int epochs, int warmups, int reps) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + THREADS_PLACEHOLDER, "-Dai.djl.pytorch.num_interop_threads=1",
                TrainingWorker.class.getName(), site.toString(), "" + HIDDEN, "" + ATTENTION, "" + epochs,
                "" + warmups, "" + reps, "" + LEARNING_RATE);
    }

    private static final String THREADS_PLACEHOLDER = "@THREADS@";

    /** Bags per second by the wall clock and per CPU-second, of every repetition. */
    private record Rates(List<Double> wall, List<Double> cpu) {
        Rates() {
            this(new ArrayList<>(), new ArrayList<>());
        }

        void add(Rates more) {
            wall.addAll(more.wall);
            cpu.addAll(more.cpu);
        }
    }

    /** Runs {@code command} with {@code threads} threads and returns the rates of its JSON line. */
    private static Rates runJson(List<String> command, int threads) throws IOException, InterruptedException {
        List<String> cmd = command.stream().map(s -> s.replace(THREADS_PLACEHOLDER, "" + threads)).toList();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("OMP_NUM_THREADS", "" + threads);
        env.put("MKL_NUM_THREADS", "" + threads);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        String json = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (rc != 0 || json == null) {
            throw new IOException(cmd.get(0) + " exited " + rc + ":\n" + output);
        }
        JsonNode node = new ObjectMapper().readTree(json);
        Rates rates = new Rates();
        node.get("bags_per_second").forEach(n -> rates.wall.add(n.asDouble()));
        node.get("bags_per_cpu_second").forEach(n -> rates.cpu.add(n.asDouble()));
        return rates;
    }

    private static boolean peerHasTorch() throws InterruptedException {
        try {
            Process p = new ProcessBuilder(PEER_PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path extractPeer(Path work) throws IOException {
        Path script = work.resolve("mil_peer.py");
        try (InputStream in = TrainingThroughputBenchmark.class.getResourceAsStream("mil_peer.py")) {
            if (in == null) {
                throw new IOException("mil_peer.py is missing from the classpath");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
