package org.fedmil.bench.perf;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.TensorSet;

/**
 * The process {@link NativeMemoryBenchmark} watches: a site's rounds, one after the other, in a JVM of its own
 * whose heap is fixed and touched at start (-Xms = -Xmx, AlwaysPreTouch), so heap growth cannot show up in the
 * resident set and what grows is native memory. Each round does what SiteTrainer does: load the global weights,
 * train one local epoch with a fresh optimiser, read the local weights back. After every round it prints the
 * process RSS and how many arrays and managers DJL still tracks under the engine's root manager.
 *
 * <p>Args: site_dir rounds.
 */
public final class NativeMemoryWorker {

    private NativeMemoryWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<Bag> bags = new ArrayList<>(BagDataset.load(dir).bags());
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, bags.get(0).dim(), 64, 32);
        LocalTrainer trainer = new LocalTrainer();
        try (MilModel model = MilModel.create(spec, Device.cpu(), 7)) {
            TensorSet global = model.weights();
            for (int round = 1; round <= rounds; round++) {
                model.setWeights(global);
                trainer.train(model, bags, new TrainingOptions(1, 1e-3, 0, round));
                global = model.weights();
                System.out.println("{\"round\": " + round + ", \"rss_kib\": " + rssKib() + ", \"resources\": "
                        + countResources(root(model.manager())) + "}");
            }
        }
    }

    /** VmRSS of this process, in KiB. */
    static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }

    private static NDManager root(NDManager m) {
        while (m.getParentManager() != null && m.getParentManager() != m) {
            m = m.getParentManager();
        }
        return m;
    }

    /** Arrays and managers DJL tracks under {@code m}, recursively: a leak of either shows as growth here. */
    static long countResources(NDManager m) throws ReflectiveOperationException {
        if (!(m instanceof BaseNDManager)) {
            return 0;
        }
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        java.util.Map<String, AutoCloseable> resources = (java.util.Map<String, AutoCloseable>) f.get(m);
        long n = 0;
        for (AutoCloseable r : List.copyOf(resources.values())) {
            n++;
            if (r instanceof NDManager sub) {
                n += countResources(sub);
            }
        }
        return n;
    }
}
