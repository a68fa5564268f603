package org.fedmil.bench.perf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.data.synth.SyntheticMilData;

/**
 * Bags per second of attention-MIL training with {@code LocalTrainer} (DJL on PyTorch, CPU)
 * against the same model, data, optimiser and thread count in PyTorch itself (Debian's python3-torch running
 * mil_peer.py, shipped in this jar). Each side runs as a subprocess, so that the thread count is set the
 * way each engine reads it: DJL's {@code ai.djl.pytorch.num_threads} and {@code OMP_NUM_THREADS}, torch's
 * {@code set_num_threads}. Each side runs in one warm process per thread count, and the two take turns
 * repetition by repetition ({@link TrainingWorkerProcess}); the spread of the pair ratios is reported
 * ({@link PairedRatios}). The data are the demo's synthetic bags (32 features, the largest site: mean bag size
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
        // enough pairs that the spread of the pair ratios says how far one run can stray from the median
        int reps = context.pick(15, 2);
        // 2 epochs = 320 steps per repetition, a few tenths of a second on a quiet machine: short enough for many
        // pairs, so that a pair's two halves see the same neighbours; 5 warm-ups of 320 steps is what the JIT needs
        int epochs = context.pick(2, 1);
        boolean peerAvailable = Files.isExecutable(Path.of(PEER_PYTHON)) && peerHasTorch();
        List<Figure> figures = new ArrayList<>();
        for (int threads : context.quick() ? new int[] {1} : new int[] {1, 2}) {
            Rates djl = new Rates(reps);
            Rates peer = new Rates(reps);
            try (TrainingWorkerProcess java = TrainingWorkerProcess.start("the DJL worker",
                    djlCommand(site, epochs, warmups, threads), threads);
                 TrainingWorkerProcess python = peerAvailable ? TrainingWorkerProcess.start("the PyTorch peer",
                         peerCommand(script, site, epochs, warmups, threads), threads) : null) {
                for (int r = 0; r < reps; r++) {
                    // DJL, peer; peer, DJL; …: neither side always goes first into whatever the machine does next
                    if (python != null && r % 2 == 1) {
                        peer.add(r, python.run());
                    }
                    djl.add(r, java.run());
                    if (python != null && r % 2 == 0) {
                        peer.add(r, python.run());
                    }
                }
            }
            figures.addAll(figures(context, threads, epochs, warmups, reps, djl, peerAvailable ? peer : null));
        }
        return figures;
    }

    private static List<Figure> figures(PerfContext context, int threads, int epochs, int warmups, int reps, Rates djl,
                                        Rates peer) {
        String how = "synthetic site-3 (160 bags, mean 50 × 32 features), hidden 64, attention 32, one bag "
                + "per step, " + epochs + " epochs per repetition; both sides warm (" + warmups + " warm-up trainings "
                + "each, one process per side and thread count), then " + reps + " pairs of repetitions alternating "
                + "DJL and PyTorch (ABBA order); medians";
        String peerName = peer != null ? "PyTorch (python3-torch) on the same bags, model, Adam, threads"
                : "PyTorch peer not installed (apt-get install python3-torch)";
        String suffix = ", " + threads + " thread" + (threads == 1 ? "" : "s");
        double djlWall = Medians.median(djl.wall);
        double djlCpu = Medians.median(djl.cpu);
        double peerWall = peer != null ? Medians.median(peer.wall) : Double.NaN;
        double peerCpu = peer != null ? Medians.median(peer.cpu) : Double.NaN;
        context.out().printf(Locale.ROOT, "threads %d: DJL %.1f bags/s (%.1f per CPU-s), PyTorch %.1f bags/s "
                + "(%.1f per CPU-s)%n", threads, djlWall, djlCpu, peerWall, peerCpu);
        String wallSpread = "";
        String cpuSpread = "";
        if (peer != null) {
            PairedRatios wall = PairedRatios.of(djl.wall, peer.wall);
            PairedRatios cpu = PairedRatios.of(djl.cpu, peer.cpu);
            // the line a reader copies when listing runs: the pair ratios' spread, not only the medians' ratio
            context.out().printf(Locale.ROOT, "training ratio DJL/PyTorch, %d thread%s: wall %s; per CPU-s %s%n",
                    threads, threads == 1 ? "" : "s", wall.summary(TARGET), cpu.summary(TARGET));
            wallSpread = "; pair ratios " + wall.summary(TARGET);
            cpuSpread = "; pair ratios " + cpu.summary(TARGET);
        }
        return List.of(new Figure("training.bags_per_second." + threads + "t", "attention-MIL training" + suffix,
                        djlWall, "bags/s", peerWall, peerName, TARGET, true, how + wallSpread),
                // the wall clock on a shared 2-core machine swings with the neighbours' load; CPU time charged to
                // the process is steadier and says the same thing for one thread
                new Figure("training.bags_per_cpu_second." + threads + "t",
                        "attention-MIL training per CPU-second" + suffix, djlCpu, "bags/CPU-s", peerCpu, peerName,
                        TARGET, true, how + "; CPU time of the whole process (JIT, GC, interpreter included)"
                        + cpuSpread));
    }

    /** DJL at least as fast as PyTorch itself. */
    static final double TARGET = 1.0;

    private static List<String> djlCommand(Path site, int epochs, int warmups, int threads) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + threads, "-Dai.djl.pytorch.num_interop_threads=1",
                TrainingWorker.class.getName(), site.toString(), "" + HIDDEN, "" + ATTENTION, "" + epochs,
                "" + warmups, "0", "" + LEARNING_RATE, "serve");
    }

    private static List<String> peerCommand(Path script, Path site, int epochs, int warmups, int threads) {
        return List.of(PEER_PYTHON, script.toString(), site.toString(), "--threads", "" + threads,
                "--hidden", "" + HIDDEN, "--attention", "" + ATTENTION, "--epochs", "" + epochs,
                "--warmups", "" + warmups, "--lr", "" + LEARNING_RATE, "--serve");
    }

    /** Bags per second by the wall clock and per CPU-second, repetition by repetition. */
    private record Rates(double[] wall, double[] cpu) {
        Rates(int reps) {
            this(new double[reps], new double[reps]);
        }

        void add(int rep, TrainingWorkerProcess.Rate rate) {
            wall[rep] = rate.wall();
            cpu[rep] = rate.cpu();
        }
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
}
