package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba 2015), L2 weight decay added to the gradient, or AdamW (Loshchilov and Hutter 2019), weight
 * decay applied to the weights as w ← w − η·λ·w before the Adam step, both run by the engine's fused Adam kernel.
 *
 * <p>Not DJL's {@code Optimizer.adam()}: that one detaches its moment arrays from every manager and never frees
 * them, harmless for one long run but a native-memory leak for a site that starts a fresh optimizer every round.
 * Here the moments belong to the manager passed in and die with it; the update itself is the same call DJL's
 * Adam makes, with the same arguments.
 *
 * <p>A tensor larger than {@link #CHUNK_ELEMENTS} is updated a slice at a time. The engine's kernel holds five
 * temporaries the size of the tensor it is given until it returns (a clone of the gradient, m·η, √v, √v + ε and
 * their quotient); on the encoder weight, most of an MLP model, that was five model copies of native memory at
 * every step on top of the weights, gradients and moments (a 38 MiB model: +190 MiB at the step, measured). Given
 * views of one slice of the weight, gradient and moments, the kernel does the same elementwise arithmetic on the
 * same values and writes through to the tensors, with temporaries the size of the slice.
 */
final class Adam implements Optimizer {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;
    private static final float NO_RESCALE = 1f;
    private static final float NO_CLIPPING = -1f;
    /**
     * The most elements one kernel call updates: 4 MiB of float32, so the kernel's temporaries are at most 20 MiB
     * whatever the model's size. A multiple of 64, so that every slice starts where the kernel's vector loop
     * would have been in the whole tensor (a slice's own tail then falls where the whole tensor's did).
     */
    static final long CHUNK_ELEMENTS = 1L << 20;

    private record Slot(String name, NDArray weight, NDArray mean, NDArray variance, NDArray anchor) {
    }

    private final float weightDecay;
    private final boolean decoupled;
    private final float proximalMu;
    private final List<Slot> slots;
    private final long chunkElements;
    private int t;

    Adam(Map<String, NDArray> weights, float weightDecay, NDManager stateOwner) {
        this(weights, weightDecay, 0f, false, stateOwner);
    }

    /**
     * @param proximalMu FedProx's μ: μ(w − w₀) is added to every gradient before the update, w₀ the weights at
     *                   construction; with 0 nothing is copied or added, the update is exactly plain Adam's
     * @param decoupled  AdamW: the kernel decays the weights by η·λ instead of adding λ·w to the gradient
     */
    Adam(Map<String, NDArray> weights, float weightDecay, float proximalMu, boolean decoupled,
         NDManager stateOwner) {
        this(weights, weightDecay, proximalMu, decoupled, stateOwner, CHUNK_ELEMENTS);
    }

    /** As above, updating at most {@code chunkElements} elements (a positive multiple of 64) per kernel call. */
    Adam(Map<String, NDArray> weights, float weightDecay, float proximalMu, boolean decoupled,
         NDManager stateOwner, long chunkElements) {
        if (chunkElements <= 0 || chunkElements % 64 != 0) {
            throw new IllegalArgumentException("chunkElements is " + chunkElements + "; expected a positive "
                    + "multiple of 64");
        }
        this.chunkElements = chunkElements;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.proximalMu = proximalMu;
        this.slots = new ArrayList<>(weights.size());
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            NDArray w = e.getValue();
            NDArray anchor = null;
            if (proximalMu != 0f) {
                anchor = w.duplicate();
                anchor.attach(stateOwner);
            }
            slots.add(new Slot(e.getKey(), w, stateOwner.zeros(w.getShape(), w.getDataType()),
                    stateOwner.zeros(w.getShape(), w.getDataType()), anchor));
        }
    }

    @Override
    public void restore(OptimizerMemory memory) {
        if (memory.isEmpty()) {
            return;
        }
        for (Slot s : slots) {
            float[] m = memory.mean(s.name());
            float[] v = memory.variance(s.name());
            if (m == null || v == null || m.length != s.mean().size()) {
                return;
            }
        }
        for (Slot s : slots) {
            s.mean().set(memory.mean(s.name()));
            s.variance().set(memory.variance(s.name()));
        }
        t = memory.steps();
    }

    @Override
    public void save(OptimizerMemory memory) {
        if (t == 0) {
            return;
        }
        for (Slot s : slots) {
            memory.put(s.name(), s.mean().toFloatArray(), s.variance().toFloatArray());
        }
        memory.steps(t);
    }

    /** Applies one update from the gradients of the last backward pass; the kernel also clears them. */
    @Override
    public void update(float learningRate) {
        t++;
        double correction1 = 1 - Math.pow(BETA1, t);
        double correction2 = 1 - Math.pow(BETA2, t);
        float correctedRate = (float) (learningRate * Math.sqrt(correction2) / correction1);
        for (Slot s : slots) {
            // the gradient view is attached to the weight's manager: close it, or one piles up per step
            try (NDArray gradient = s.weight().getGradient()) {
                if (s.anchor() != null) {
                    // ∇ μ/2‖w − w₀‖² = μ(w − w₀), added in place to the gradient the kernel reads (and clears)
                    try (NDArray pull = s.weight().sub(s.anchor())) {
                        pull.muli(proximalMu);
                        gradient.addi(pull);
                    }
                }
                if (s.weight().size() <= chunkElements) {
                    kernel(s.weight(), gradient, s.mean(), s.variance(), learningRate, correctedRate);
                } else {
                    updateBySlices(s, gradient, learningRate, correctedRate);
                }
            }
        }
    }

    /** The engine's fused Adam on one tensor or slice; it also clears {@code weight}'s gradient when it has one. */
    private void kernel(NDArray weight, NDArray gradient, NDArray mean, NDArray variance, float learningRate,
                        float correctedRate) {
        weight.getNDArrayInternal().adamUpdate(new NDList(weight, gradient, mean, variance), new NDList(weight),
                learningRate, correctedRate, weightDecay, NO_RESCALE, NO_CLIPPING, BETA1, BETA2, EPSILON, true,
                decoupled);
    }

    /**
     * The kernel on flat views of one slice at a time (views: the kernel's in-place updates land in the weight and
     * moments themselves), then the weight's gradient cleared as the whole-tensor call clears it. Runs outside any
     * gradient collector, so the views record no graph.
     */
    private void updateBySlices(Slot s, NDArray gradient, float learningRate, float correctedRate) {
        long n = s.weight().size();
        try (NDArray w = s.weight().reshape(-1); NDArray g = gradient.reshape(-1); NDArray m = s.mean().reshape(-1);
             NDArray v = s.variance().reshape(-1)) {
            for (long from = 0; from < n; from += chunkElements) {
                NDIndex slice = new NDIndex("{}:{}", from, Math.min(n, from + chunkElements));
                try (NDArray ws = w.get(slice); NDArray gs = g.get(slice); NDArray ms = m.get(slice);
                     NDArray vs = v.get(slice)) {
                    kernel(ws, gs, ms, vs, learningRate, correctedRate);
                }
            }
        }
        JniUtils.zeroGrad((PtNDArray) s.weight());
    }
}
