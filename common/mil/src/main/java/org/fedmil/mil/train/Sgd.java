package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, in PyTorch's form (no dampening): with g = ∇ + λ·w,
 * b ← μ·b + g, then w ← w − η·b, or with Nesterov w ← w − η·(g + μ·b). The first step's b is g, as in PyTorch.
 *
 * <p>Not the engine's fused SGD kernel: DJL's PyTorch kernel scales the gradient by η before it enters the
 * momentum buffer (MXNet's convention), so a learning rate that changes step by step, as under a schedule, would
 * change the meaning of the buffer; and it has no Nesterov form. A few element-wise calls per weight instead.
 */
final class Sgd implements Optimizer {

    private record Slot(NDArray weight, NDArray buffer, NDArray anchor) {
    }

    private final float weightDecay;
    private final float proximalMu;
    private final float momentum;
    private final boolean nesterov;
    private final List<Slot> slots;
    private final NDManager stateOwner;

    Sgd(Map<String, NDArray> weights, float weightDecay, float proximalMu, float momentum, boolean nesterov,
        NDManager stateOwner) {
        this.weightDecay = weightDecay;
        this.proximalMu = proximalMu;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.stateOwner = stateOwner;
        this.slots = new ArrayList<>(weights.size());
        for (NDArray w : weights.values()) {
            NDArray anchor = null;
            if (proximalMu != 0f) {
                anchor = w.duplicate();
                anchor.attach(stateOwner);
            }
            NDArray buffer = momentum == 0f ? null : stateOwner.zeros(w.getShape(), w.getDataType());
            slots.add(new Slot(w, buffer, anchor));
        }
    }

    @Override
    public void update(float learningRate) {
        for (Slot s : slots) {
            NDArray w = s.weight();
            // the gradient view is attached to the weight's manager: close it, or one piles up per step
            try (NDArray gradient = w.getGradient(); NDManager scratch = stateOwner.newSubManager()) {
                NDArray g = gradient.duplicate();
                g.attach(scratch);
                if (s.anchor() != null) {
                    NDArray pull = w.sub(s.anchor());
                    pull.attach(scratch);
                    g.addi(pull.muli(proximalMu));
                }
                if (weightDecay != 0f) {
                    NDArray decay = w.mul(weightDecay);
                    decay.attach(scratch);
                    g.addi(decay);
                }
                NDArray direction = g;
                if (s.buffer() != null) {
                    s.buffer().muli(momentum).addi(g);
                    if (nesterov) {
                        NDArray ahead = s.buffer().mul(momentum);
                        ahead.attach(scratch);
                        direction = g.addi(ahead);
                    } else {
                        direction = s.buffer();
                    }
                }
                NDArray step = direction.mul(learningRate);
                step.attach(scratch);
                w.subi(step);
                // as DJL's GradientCollector.zeroGradients does: the next backward pass adds to what is there
                gradient.subi(gradient);
            }
        }
    }
}
