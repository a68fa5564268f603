package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

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
 */
final class Adam implements Optimizer {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;
    private static final float NO_RESCALE = 1f;
    private static final float NO_CLIPPING = -1f;

    private record Slot(String name, NDArray weight, NDArray mean, NDArray variance, NDArray anchor) {
    }

    private final float weightDecay;
    private final boolean decoupled;
    private final float proximalMu;
    private final List<Slot> slots;
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
                s.weight().getNDArrayInternal().adamUpdate(
                        new NDList(s.weight(), gradient, s.mean(), s.variance()), new NDList(s.weight()),
                        learningRate, correctedRate, weightDecay, NO_RESCALE, NO_CLIPPING,
                        BETA1, BETA2, EPSILON, true, decoupled);
            }
        }
    }
}
