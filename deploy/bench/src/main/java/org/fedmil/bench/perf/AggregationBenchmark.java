package org.fedmil.bench.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The coordinator folds each update into FedAvg as it arrives, so its heap is O(model), not
 * O(updates × model). Measures the retained and peak heap while K updates of a P-parameter model are folded one
 * after another through the coordinator's per-update path (the received bytes folded in place by
 * {@link FedAvg#acceptWire}), each update generated on the fly and dropped; and the fold's throughput against a plain
 * float-array sum over the same bytes, under JMH in the same run ({@link FoldJmh}).
 */
public final class AggregationBenchmark implements PerfBenchmark {

    private static final int TENSORS = 5;

    @Override
    public String id() {
        return "aggregation";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        long parameters = context.pick(50_000_000L, 1_000_000L);
        List<TensorSpec> specs = specs(parameters);
        long modelBytes = TensorCodec.byteSize(specs);
        List<Figure> figures = new ArrayList<>();
        figures.addAll(throughput(context));
        figures.addAll(heap(context, specs, modelBytes));
        return figures;
    }

    /** P parameters as a few equal tensors, like a model's layers. */
    static List<TensorSpec> specs(long parameters) {
        List<TensorSpec> specs = new ArrayList<>();
        long each = parameters / TENSORS;
        for (int i = 0; i < TENSORS; i++) {
            long n = i == TENSORS - 1 ? parameters - each * (TENSORS - 1) : each;
            specs.add(new TensorSpec("layer" + i + ".weight", new long[] {n}));
        }
        return specs;
    }

    /** One site's update as it arrives on the wire: float32 little-endian, values that differ per update. */
    static byte[] update(List<TensorSpec> specs, int k) {
        byte[] bytes = new byte[Math.toIntExact(TensorCodec.byteSize(specs))];
        FloatBuffer f = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float step = 1e-7f * (k + 1);
        float v = -0.01f;
        while (f.hasRemaining()) {
            f.put(v);
            v += step;
            if (v > 0.01f) {
                v = -0.01f;
            }
        }
        return bytes;
    }

    // ---- heap ------------------------------------------------------------------------------------------------

    private List<Figure> heap(PerfContext context, List<TensorSpec> specs, long modelBytes) {
        int[] ks = context.quick() ? new int[] {2, 4} : new int[] {4, 16, 64};
        double[] retained = new double[ks.length];
        double[] peak = new double[ks.length];
        for (int i = 0; i < ks.length; i++) {
            HeapUse use = foldK(specs, ks[i]);
            retained[i] = use.retained;
            peak[i] = use.peak;
            context.out().printf(java.util.Locale.ROOT, "K=%d: retained %.0f MiB, peak %.0f MiB%n", ks[i],
                    use.retained / MIB, use.peak / MIB);
        }
        List<Figure> out = new ArrayList<>();
        double model = modelBytes / MIB;
        String size = String.format(java.util.Locale.ROOT, "%,d parameters (%.0f MiB as float32)",
                specs.stream().mapToLong(TensorSpec::elementCount).sum(), model);
        for (int i = 0; i < ks.length; i++) {
            boolean first = i == 0;
            out.add(new Figure("aggregation.heap.retained.k" + ks[i], "coordinator heap retained while folding K="
                    + ks[i] + " updates", retained[i] / MIB, "MiB",
                    first ? model : retained[0] / MIB, first ? "the model itself (float32)" : "K=" + ks[0] + "'s",
                    first ? Double.NaN : 1.1, false,
                    "max over updates of the heap used after a full GC, each update generated on the fly as wire "
                            + "bytes, folded into FedAvg by acceptWire (the coordinator's path), then dropped; " + size
                            + "; FedAvg's float32 accumulator is the model's size"));
            out.add(new Figure("aggregation.heap.peak.k" + ks[i], "coordinator peak heap folding K=" + ks[i]
                    + " updates", peak[i] / MIB, "MiB",
                    first ? model : peak[0] / MIB, first ? "the model itself (float32)" : "K=" + ks[0] + "'s",
                    first ? Double.NaN : 1.1, false,
                    "sum of the heap pools' peak usage (reset after a GC before the run), garbage included: the "
                            + "accumulator plus one update's bytes while it is folded"));
        }
        return out;
    }

    private static final double MIB = 1024.0 * 1024.0;

    private record HeapUse(double retained, double peak) {
    }

    private static HeapUse foldK(List<TensorSpec> specs, int k) {
        System.gc();
        List<MemoryPoolMXBean> pools = new ArrayList<>();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
                pools.add(p);
            }
        }
        FedAvg fedAvg = new FedAvg();
        fedAvg.beginRound(specs);
        double retained = 0;
        for (int i = 0; i < k; i++) {
            byte[] wire = update(specs, i);
            // as FederationRun does since the wire fold: the received bytes are folded without a decoded copy
            fedAvg.acceptWire(specs, wire, 10 + i);
            wire = null;
            // what stays alive between updates: the accumulator (and nothing of the updates, if it streams)
            System.gc();
            retained = Math.max(retained, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        double peak = 0;
        for (MemoryPoolMXBean p : pools) {
            peak += p.getPeakUsage().getUsed();
        }
        if (fedAvg.updates() != k) {
            throw new IllegalStateException("folded " + fedAvg.updates() + " of " + k + " updates");
        }
        return new HeapUse(retained, peak);
    }

    // ---- throughput ------------------------------------------------------------------------------------------

    /** The fold's throughput against a plain float sum, under JMH ({@link FoldJmh}, a forked JVM). */
    private List<Figure> throughput(PerfContext context) throws RunnerException {
        long parameters = context.pick(FoldJmh.DEFAULT_PARAMETERS, 1L << 20);
        int warmups = context.pick(5, 1);
        int iterations = context.pick(10, 1);
        TimeValue time = context.quick() ? TimeValue.milliseconds(200) : TimeValue.seconds(1);
        Options options = new OptionsBuilder()
                .include(java.util.regex.Pattern.quote(FoldJmh.class.getName()) + "\\.")
                .param("parameters", Long.toString(parameters))
                .forks(1)
                .warmupIterations(warmups).warmupTime(time)
                .measurementIterations(iterations).measurementTime(time)
                .jvmArgs("-Xmx1g")
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options,
                OutputFormatFactory.createFormatInstance(context.out(), VerboseMode.NORMAL)).run();
        double bytes = parameters * (double) Float.BYTES;
        java.util.Map<String, Double> mbPerSecond = new java.util.HashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            mbPerSecond.put(benchmark.substring(benchmark.lastIndexOf('.') + 1),
                    result.getPrimaryResult().getScore() * bytes / 1e6);
        }
        List<String> expected = List.of("plainSum", "accept", "decodeAccept", "acceptWire");
        if (!mbPerSecond.keySet().containsAll(expected)) {
            throw new IllegalStateException("JMH returned " + mbPerSecond.keySet() + " of FoldJmh's " + expected
                    + "; is META-INF/BenchmarkList in the deploy jar (jmh-generator-annprocess at compile time)?");
        }
        double plain = mbPerSecond.get("plainSum");
        String base = "plain float[] += float[] over the same values";
        String note = String.format(java.util.Locale.ROOT, "%.0f MiB update (%d parameters), JMH 1.37: 1 fork, %d "
                        + "warm-up and %d measured iterations of %s in throughput mode, mean of the iterations",
                bytes / MIB, parameters, warmups, iterations, time);
        return List.of(
                new Figure("aggregation.throughput.fold", "FedAvg.accept throughput (decoded update)",
                        mbPerSecond.get("accept"), "MB/s", plain, base, 0.7, true, note),
                new Figure("aggregation.throughput.decode_fold", "decode + FedAvg.accept throughput (wire bytes)",
                        mbPerSecond.get("decodeAccept"), "MB/s", plain, base, 0.7, true, note
                                + "; TensorCodec.decode from the received bytes, then accept: the coordinator's path "
                                + "before the wire fold"),
                new Figure("aggregation.throughput.wire_fold", "FedAvg.acceptWire throughput (wire bytes, production)",
                        mbPerSecond.get("acceptWire"), "MB/s", plain, base, 0.7, true, note
                                + "; folds the received bytes in place into FedAvg's float32 accumulator (WireFloats), "
                                + "as FederationRun does"));
    }
}
