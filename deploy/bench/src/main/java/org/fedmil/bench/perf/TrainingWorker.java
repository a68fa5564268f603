package org.fedmil.bench.perf;

import ai.djl.Device;
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
 * <p>Args: site_dir hidden attention epochs warmups reps learning_rate.
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
        List<Double> rates = new ArrayList<>();
        List<Double> cpuRates = new ArrayList<>();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (MilModel model = MilModel.create(spec, Device.cpu(), 7)) {
            for (int i = 0; i < warmups + reps; i++) {
                long t0 = System.nanoTime();
                long cpu0 = os.getProcessCpuTime();
                trainer.train(model, bags, new TrainingOptions(epochs, lr, 0, 7 + i));
                double n = bags.size() * (double) epochs;
                if (i >= warmups) {
                    rates.add(n / ((System.nanoTime() - t0) / 1e9));
                    cpuRates.add(n / ((os.getProcessCpuTime() - cpu0) / 1e9));
                }
            }
        }
        System.out.println("{\"bags\": " + bags.size() + ", \"bags_per_second\": " + json(rates)
                + ", \"bags_per_cpu_second\": " + json(cpuRates) + "}");
    }

    private static String json(List<Double> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", values.get(i)));
        }
        return b.append(']').toString();
    }
}
