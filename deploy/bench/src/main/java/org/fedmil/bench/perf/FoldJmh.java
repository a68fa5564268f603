package org.fedmil.bench.perf;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The aggregation fold's throughput under JMH (a forked JVM, timed warm-up and measurement iterations, dead-code
 * and constant-folding guards): FedAvg's production fold of an update's received bytes, and the two earlier paths,
 * against a plain {@code float[] += float[]} over the same values. Hand-timed single calls were not good enough
 * here: in one run the plain loop's one-call repetitions came out at a third of its JMH speed, which made the fold
 * look 2.4× faster than the plain sum. Each invocation folds
 * one whole update, so ops/s × the update's bytes is the throughput. Run by {@link AggregationBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FoldJmh {

    /** The default size: 16M parameters (64 MiB), large enough to stream from memory, not from cache. */
    static final long DEFAULT_PARAMETERS = 16_777_216L;

    /** Parameters of the update (float32); the annotation repeats {@link #DEFAULT_PARAMETERS}. */
    @Param("16777216")
    public long parameters;

    private List<TensorSpec> specs;
    private byte[] wire;
    private TensorSet decoded;
    private float[][] values;
    private float[][] plainAccumulator;
    private FedAvg fedAvg;

    @Setup
    public void setUp() {
        specs = AggregationBenchmark.specs(parameters);
        wire = AggregationBenchmark.update(specs, 1);
        decoded = TensorCodec.decode(specs, wire);
        values = new float[specs.size()][];
        plainAccumulator = new float[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            values[i] = decoded.tensors().get(i).values();
            plainAccumulator[i] = new float[values[i].length];
        }
        fedAvg = new FedAvg();
        fedAvg.beginRound(specs);
    }

    /** The baseline: what any fold must at least do, read the update's values and add them in. */
    @Benchmark
    public float[][] plainSum() {
        for (int i = 0; i < plainAccumulator.length; i++) {
            float[] a = plainAccumulator[i];
            float[] v = values[i];
            for (int j = 0; j < a.length; j++) {
                a[j] += v[j];
            }
        }
        return plainAccumulator;
    }

    /** FedAvg's fold of an update already decoded into float arrays. */
    @Benchmark
    public FedAvg accept() {
        fedAvg.accept(decoded, 7);
        return fedAvg;
    }

    /** The coordinator's path before the wire fold: decode the received bytes into a new tensor set, then fold. */
    @Benchmark
    public FedAvg decodeAccept() {
        fedAvg.accept(TensorCodec.decode(specs, wire), 7);
        return fedAvg;
    }

    /** The coordinator's path: the received bytes folded in place into FedAvg's float32 accumulator. */
    @Benchmark
    public FedAvg acceptWire() {
        fedAvg.acceptWire(specs, wire, 7);
        return fedAvg;
    }
}
