package org.fedmil.bench.perf;

import ai.djl.Device;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;

/**
 * The DJL side of the training-throughput benchmark, run in its own JVM by {@link TrainingThroughputBenchmark}:
 * the engine reads its thread count ({@code ai.djl.pytorch.num_threads}) once at start, so each thread count
 * needs a fresh process, as the PyTorch peer gets one. Prints one JSON line, the same as mil_peer.py: bags per
 * second by the wall clock and per CPU-second of the whole process (JIT and GC threads included).
 *
 * <p>Args: site_dir hidden attention epochs warmups reps learning_rate [serve]. With {@code serve} the worker does
 * its warm-up trainings, prints {@code {"ready": true}}, then trains one repetition for every {@code run} line on
 * its stdin and answers each with a JSON line of one rate ({@link TrainingWorkerProcess}); {@code reps} is ignored.
 */
public final class TrainingWorker {

    private TrainingWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int hidden = Integer.parseInt(args[1]);
        int attention = Integer.parseInt(args[2]);
        int epochs = Integer.parseInt(args[3]);
        int warmups = Integer.parseInt(args[4]);
        int reps = Integer.parseInt(args[5]);
        double lr = Double.parseDouble(args[6]);
        // held in memory, as the peer holds its tensors: the figure is training, not reading .npy files
        List<Bag> bags = new ArrayList<>(BagDataset.load(dir).bags());
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, bags.get(0).dim(), hidden, attention);
        LocalTrainer trainer = new LocalTrainer();
        boolean serve = args.length > 7 && args[7].equals("serve");
        List<Double> rates = new ArrayList<>();
        List<Double> cpuRates = new ArrayList<>();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (MilModel model = MilModel.create(spec, Device.cpu(), 7)) {
            int i = 0;
            for (; i < warmups; i++) {
                trainer.train(model, bags, new TrainingOptions(epochs, lr, 0, 7 + i));
            }
            if (serve) {
                System.out.println("{\"ready\": true}");
                BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = commands.readLine(); line != null && line.equals("run"); line = commands.readLine()) {
                    double[] rate = timed(trainer, model, bags, epochs, lr, 7 + i++, os);
                    System.out.println("{\"bags_per_second\": " + json(List.of(rate[0]))
                            + ", \"bags_per_cpu_second\": " + json(List.of(rate[1])) + "}");
                }
                return;
            }
            for (int r = 0; r < reps; r++) {
                double[] rate = timed(trainer, model, bags, epochs, lr, 7 + i++, os);
                rates.add(rate[0]);
                cpuRates.add(rate[1]);
            }
        }
        System.out.println("{\"bags\": " + bags.size() + ", \"bags_per_second\": " + json(rates)
                + ", \"bags_per_cpu_second\": " + json(cpuRates) + "}");
    }

    /** One training of {@code epochs}: bags per second by the wall clock and per CPU-second of the process. */
    private static double[] timed(LocalTrainer trainer, MilModel model, List<Bag> bags, int epochs, double lr,
                                  long seed, com.sun.management.OperatingSystemMXBean os) {
        long t0 = System.nanoTime();
        long cpu0 = os.getProcessCpuTime();
        trainer.train(model, bags, new TrainingOptions(epochs, lr, 0, seed));
        double n = bags.size() * (double) epochs;
        return new double[] {n / ((System.nanoTime() - t0) / 1e9), n / ((os.getProcessCpuTime() - cpu0) / 1e9)};
    }

    private static String json(List<Double> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", values.get(i)));
        }
        return b.append(']').toString();
    }
}
