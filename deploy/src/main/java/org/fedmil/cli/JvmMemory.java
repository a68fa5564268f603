package org.fedmil.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;

/**
 * The JVM memory options of a long-running {@code fedmil} process, sized from its model and the host, which the
 * launchers ({@code bin/fedmil}, the checkout's {@code ./fedmil}) put in front of {@code fedmil coordinator} and
 * {@code fedmil site}: a JVM grows its heap toward its ceiling and keeps what it took, so a fixed large ceiling
 * costs resident memory whatever the model (docs/operator-guide.md, "Memory").
 *
 * <ul>
 *   <li>The coordinator knows its model from coordinator.yaml: a heap ceiling of {@value #BASE_MIB} MiB +
 *       {@value #MODEL_COPIES} × the model's float32 bytes for plain rounds of FedAvg or FedProx (the global model,
 *       the round's sum, which becomes the next model, the last model while the next round's sum is made, and room
 *       for the young generation; uploads are checked and folded from their spool files),
 *       {@value #MODEL_COPIES_UNMEASURED} × with secure aggregation, a strategy that keeps updates or one with a
 *       server state; at most half the host's memory.</li>
 *   <li>A site learns its model from the coordinator only after it starts: once it has run, the last global model
 *       in its state folder sizes it ({@link SiteHeap}); before that its ceiling is the host's share, a quarter of
 *       the memory and at most {@value #HOST_CAP_MIB} MiB.</li>
 *   <li>Both start small ({@code -Xms}) with the serial collector and tight free ratios, so the heap a process
 *       commits follows what it holds rather than its ceiling: the ceiling is a bound, not a size. Above
 *       {@value #SERIAL_MAX_MIB} MiB G1 takes over (serial full collections of a larger heap pause too long),
 *       with a periodic collection that gives an idle heap back.</li>
 * </ul>
 * Run as a program it prints the options for the fedmil arguments it is given, on one line; it never fails: what
 * it cannot read leaves the host's share, with the reason on standard error.
 */
public final class JvmMemory {

    /** Heap for everything but the model. */
    public static final int BASE_MIB = ModelSize.HEAP_BASE_MIB;
    /** Model copies a coordinator holds at once at most. */
    public static final int MODEL_COPIES = ModelSize.HEAP_MODEL_COPIES;
    /** With secure aggregation, a strategy that is not linear in the updates, or one with a server state. */
    public static final int MODEL_COPIES_UNMEASURED = ModelSize.HEAP_MODEL_COPIES_UNMEASURED;
    static final int HOST_CAP_MIB = 4096;
    static final int SERIAL_MAX_MIB = 4096;
    static final int INITIAL_MIB = 16;

    /**
     * A heap ceiling and what it was sized from; {@code youngMib} caps the serial collector's young generation (0:
     * the JVM's own third of the heap).
     */
    public record Plan(long heapMib, String from, long youngMib) {

        public Plan(long heapMib, String from) {
            this(heapMib, from, 0);
        }

        /** The JVM options: heap bounds, collector, free ratios. */
        public List<String> options() {
            List<String> o = new ArrayList<>(List.of("-Xms" + Math.min(INITIAL_MIB, heapMib) + "m",
                    "-Xmx" + heapMib + "m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30"));
            if (heapMib <= SERIAL_MAX_MIB) {
                o.add("-XX:+UseSerialGC");
                if (youngMib > 0) {
                    o.add("-XX:MaxNewSize=" + youngMib + "m");
                    // a site (the plans with a young cap) lets go of a model copy and runs a full collection
                    // before training (SiteTrainer): shrinking in steps gave back nothing of the emptied heap at
                    // that first collection (a 40M-parameter site kept 374 MiB committed for 23 MiB live)
                    o.add("-XX:-ShrinkHeapInSteps");
                }
            } else {
                o.add("-XX:+UseG1GC");
                o.add("-XX:G1PeriodicGCInterval=30000");
            }
            return o;
        }
    }

    private JvmMemory() {
    }

    /** The coordinator's plan for a model of this size on a host with this much memory. */
    public static Plan forModel(ModelSize size, long hostMib) {
        return forModel(size, MODEL_COPIES, hostMib);
    }

    /** The coordinator's plan when its rounds hold {@code copies} model copies of heap. */
    static Plan forModel(ModelSize size, int copies, long hostMib) {
        long modelMib = Math.max(1, (size.bytes() + (1 << 20) - 1) >> 20);
        long heap = BASE_MIB + copies * modelMib;
        return new Plan(Math.min(heap, Math.max(BASE_MIB, hostMib / 2)), String.format(Locale.ROOT,
                "%d MiB + %d × the model's %d MiB", BASE_MIB, copies, modelMib)
                + (heap > hostMib / 2 ? ", cut to half the host's memory" : ""));
    }

    /**
     * Plain rounds of a linear strategy without a server state were measured; masked uploads, kept updates and a
     * server optimiser's state (one or two model-sized arrays, copied again when saved) need more.
     */
    static int modelCopies(CoordinatorConfig c) {
        var capabilities = c.strategy().create().capabilities();
        boolean plain = capabilities.contains(org.fedmil.coordinator.aggregate.Capability.LINEAR)
                && !capabilities.contains(org.fedmil.coordinator.aggregate.Capability.STATEFUL);
        return plain && !c.secureAggregation() ? MODEL_COPIES : MODEL_COPIES_UNMEASURED;
    }

    /** A process whose model is not known when it starts (a site): the host's share. */
    public static Plan forHost(long hostMib) {
        return new Plan(Math.max(BASE_MIB, Math.min(HOST_CAP_MIB, hostMib / 4)),
                "a quarter of the host's memory, at most " + HOST_CAP_MIB + " MiB", SiteHeap.YOUNG_MIB);
    }

    /** The plan for the fedmil command line {@code args} (its first word the command). */
    static Plan forCommand(List<String> args, long hostMib) {
        if (!args.isEmpty() && args.get(0).equals("coordinator")) {
            int at = args.indexOf("--config");
            if (at < 0 || at + 1 >= args.size()) {
                // --help, or a command line the coordinator will refuse with its own message
                return forHost(hostMib);
            }
            CoordinatorConfig c = CoordinatorConfig.load(Path.of(args.get(at + 1)));
            return forModel(ModelSize.of(coordinatorModel(c)), modelCopies(c), hostMib);
        }
        if (!args.isEmpty() && args.get(0).equals("site")) {
            return SiteHeap.plan(args, hostMib);
        }
        return forHost(hostMib);
    }

    /** The model a coordinator.yaml asks for; the mlp width from the first held-out bag when not given. */
    static ModelSpec coordinatorModel(Path config) {
        return coordinatorModel(CoordinatorConfig.load(config));
    }

    private static ModelSpec coordinatorModel(CoordinatorConfig c) {
        CoordinatorConfig.Model m = c.model();
        if (m.encoderKind() == Encoder.CNN || m.inputDim() > 0) {
            return m.spec(m.inputDim());
        }
        return m.spec(firstBagWidth(c.heldoutDir()));
    }

    private static int firstBagWidth(Path heldout) {
        try (var lines = Files.lines(heldout.resolve(BagDataset.INDEX_FILE))) {
            String first = lines.skip(1).filter(l -> !l.isBlank()).findFirst().orElseThrow(() ->
                    new IllegalArgumentException(heldout.resolve(BagDataset.INDEX_FILE) + " lists no bag"));
            String id = first.split(",", 2)[0].strip();
            return Npy.read(heldout.resolve(BagDataset.BAGS_DIR).resolve(id + ".npy")).cols();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The host's memory in MiB, as the JVM sees it (a container's limit inside one). */
    public static long hostMib() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getTotalMemorySize() >> 20;
    }

    /** Prints the options for {@code args} (a fedmil command line) on one line. */
    public static void main(String[] args) {
        System.out.println(String.join(" ", plan(List.of(args), hostMib(), System.err).options()));
    }

    static Plan plan(List<String> args, long hostMib, PrintStream err) {
        try {
            return forCommand(args, hostMib);
        } catch (RuntimeException e) {
            Plan p = forHost(hostMib);
            err.println("fedmil: the heap is sized from the host (" + p.heapMib() + " MiB), not the model: "
                    + e.getMessage() + " (FEDMIL_HEAP sets it; docs/operator-guide.md, Memory)");
            return p;
        }
    }
}
