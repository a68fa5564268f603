package org.fedmil.mil.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Objects;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * How big a {@link ModelSpec}'s model is, from the spec alone (no engine, no weights): what an operator sizes
 * memory and bandwidth by. With i = input_dim, h = hidden_dim, a = attention_dim:
 * <ul>
 *   <li>mlp encoder: i·h + h (one Linear layer);</li>
 *   <li>cnn encoder: 16·(9c + 1) + 32·(9·16 + 1) + (32·⌊⌊s/2⌋/2⌋²)·h + h (two 3×3 convolutions, then a Linear
 *       layer), for c channels and s-pixel tiles;</li>
 *   <li>attention pooling: a·h + a (V) + a (w, no bias); gated attention adds a·h + a (U); mean and max have
 *       none;</li>
 *   <li>classifier: h + 1.</li>
 * </ul>
 * Every parameter is a float32 on the wire and on disk, so {@link #bytes()} is 4 per parameter.
 *
 * @param parameters the parameter count
 * @param tensors    how many named tensors carry them (weights and biases)
 */
public record ModelSize(long parameters, int tensors) {

    /** Bytes of one parameter on the wire (float32). */
    public static final int BYTES_PER_PARAMETER = 4;

    public static ModelSize of(ModelSpec spec) {
        List<TensorSpec> tensors = tensorsOf(spec);
        long n = 0;
        for (TensorSpec t : tensors) {
            n += t.elementCount();
        }
        return new ModelSize(n, tensors.size());
    }

    /**
     * The names and shapes of the spec's tensors, in the order {@link MilModel#weightSpecs()} has them, from the spec
     * alone: the formula above, tensor by tensor.
     */
    public static List<TensorSpec> tensorsOf(ModelSpec spec) {
        Objects.requireNonNull(spec, "spec");
        long h = spec.hiddenDim();
        long a = spec.attentionDim();
        List<TensorSpec> out = new ArrayList<>();
        if (spec.encoder() == Encoder.CNN) {
            long f1 = CnnEncoder.FILTERS_1;
            long f2 = CnnEncoder.FILTERS_2;
            long pooled = spec.tileSize() / 2 / 2;
            out.add(new TensorSpec("encoder.conv1.weight", new long[] {f1, spec.channels(), 3, 3}));
            out.add(new TensorSpec("encoder.conv1.bias", new long[] {f1}));
            out.add(new TensorSpec("encoder.conv2.weight", new long[] {f2, f1, 3, 3}));
            out.add(new TensorSpec("encoder.conv2.bias", new long[] {f2}));
            out.add(new TensorSpec("encoder.fc.weight", new long[] {h, f2 * pooled * pooled}));
            out.add(new TensorSpec("encoder.fc.bias", new long[] {h}));
        } else {
            out.add(new TensorSpec("encoder.0.weight", new long[] {h, spec.inputDim()}));
            out.add(new TensorSpec("encoder.0.bias", new long[] {h}));
        }
        if (spec.architecture() == Architecture.ATTENTION || spec.architecture() == Architecture.GATED_ATTENTION) {
            out.add(new TensorSpec("attention.V.weight", new long[] {a, h}));
            out.add(new TensorSpec("attention.V.bias", new long[] {a}));
            if (spec.architecture() == Architecture.GATED_ATTENTION) {
                out.add(new TensorSpec("attention.U.weight", new long[] {a, h}));
                out.add(new TensorSpec("attention.U.bias", new long[] {a}));
            }
            out.add(new TensorSpec("attention.w.weight", new long[] {1, a}));
        }
        out.add(new TensorSpec("classifier.weight", new long[] {1, h}));
        out.add(new TensorSpec("classifier.bias", new long[] {1}));
        return List.copyOf(out);
    }

    /** As {@link #requireWeightsOf(ModelSpec, List, TensorSet)} against the spec's own tensors; no engine. */
    public static void requireWeightsOf(ModelSpec spec, TensorSet weights) {
        requireWeightsOf(spec, tensorsOf(spec), weights);
    }

    /**
     * Throws IllegalArgumentException, naming the first tensor that does not fit, unless {@code weights} have exactly
     * {@code specs}' names and shapes in that order; {@code specs} are {@code spec}'s tensors.
     */
    static void requireWeightsOf(ModelSpec spec, List<TensorSpec> specs, TensorSet weights) {
        Set<String> expectedNames = new HashSet<>();
        for (TensorSpec expected : specs) {
            expectedNames.add(expected.name());
            NamedTensor actual = weights.tensors().stream()
                    .filter(t -> t.name().equals(expected.name())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("weights lack tensor '" + expected.name()
                            + "' that a " + spec + " needs; expected " + specs + ", got " + weights.specs()));
            if (!Arrays.equals(actual.shape(), expected.shape())) {
                throw new IllegalArgumentException("tensor '" + expected.name() + "' has shape "
                        + Arrays.toString(actual.shape()) + " but this model expects "
                        + Arrays.toString(expected.shape()) + "; the weights were made for a different "
                        + "ModelSpec than " + spec);
            }
        }
        for (NamedTensor actual : weights.tensors()) {
            if (!expectedNames.contains(actual.name())) {
                throw new IllegalArgumentException("unexpected tensor '" + actual.name() + "': a " + spec
                        + " has only " + specs);
            }
        }
        if (!weights.specs().equals(specs)) {
            throw new IllegalArgumentException("tensors are in a different order than this model's; expected "
                    + specs + ", got " + weights.specs());
        }
    }

    /** The model's float32 bytes: one copy of the weights, a delta, or a download. */
    public long bytes() {
        return parameters * BYTES_PER_PARAMETER;
    }

    /**
     * Model copies of heap a coordinator of plain (unmasked) rounds of a linear strategy without a server state
     * (FedAvg, FedProx) is given. An upload is checked and folded a piece at a time from its spool file, so at rest it
     * holds two (the global model and the round's sum, which becomes the next model), but when the next round opens
     * its sum is allocated while the last model is still reachable: three at once, which a 100M-parameter coordinator
     * with three copies of heap ran out of (docs/benchmarks.md). The fourth is room for the collector's young
     * generation.
     */
    public static final int HEAP_MODEL_COPIES = 4;
    /**
     * Model copies for a coordinator with secure aggregation, a strategy that keeps every update, or a server
     * optimiser's state (FedAvgM's velocity, FedAdam's and FedYogi's moments, each copied again when saved): the
     * earlier rule, not measured (a masked upload is 8 bytes per parameter).
     */
    public static final int HEAP_MODEL_COPIES_UNMEASURED = 6;
    /** Heap for everything but the model: gRPC, TLS, the round's records, logs. */
    public static final int HEAP_BASE_MIB = 64;

    /**
     * A heap ceiling (-Xmx, in MiB) that fits a coordinator's or site's round with this model:
     * {@value #HEAP_BASE_MIB} MiB + {@value #HEAP_MODEL_COPIES} × the model's bytes. A JVM grows its heap toward its
     * ceiling, so a fixed large one costs resident memory whatever the model.
     */
    public long suggestedHeapMib() {
        return HEAP_BASE_MIB + HEAP_MODEL_COPIES * Math.max(1, (bytes() + (1 << 20) - 1) >> 20);
    }

    /**
     * The mlp encoder's input_dim that brings a model of this architecture and widths closest to {@code target}
     * parameters without going over it (at least 1): how a benchmark asks for a model of a given size.
     */
    public static int mlpInputDimFor(long target, Architecture architecture, int hiddenDim, int attentionDim) {
        long rest = of(new ModelSpec(architecture, 1, hiddenDim, attentionDim)).parameters() - hiddenDim;
        long inputDim = Math.max(1, (target - rest) / hiddenDim);
        if (inputDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(target + " parameters need input_dim " + inputDim + " at hidden_dim "
                    + hiddenDim + ", more than an int holds; raise hidden_dim");
        }
        return (int) inputDim;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%,d parameters in %d tensors, %,d bytes (%.1f MiB) as float32",
                parameters, tensors, bytes(), bytes() / 1048576.0);
    }
}
