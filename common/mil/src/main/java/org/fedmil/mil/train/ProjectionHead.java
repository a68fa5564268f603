package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * SimCLR's projection head g: Linear(hidden → hidden) → ReLU → Linear(hidden → projection_dim), between the
 * encoder's embedding and the contrastive loss. Chen et al. 2020 found the representation before the head
 * transfers better than after it (the head learns to discard what the augmentations vary), so it exists only for
 * the length of one pretraining call and is then dropped: it never leaves the site and never enters the model.
 *
 * <p>Its arrays belong to the manager given, and are freed with it.
 */
final class ProjectionHead {

    private final NDArray w1;
    private final NDArray b1;
    private final NDArray w2;
    private final NDArray b2;

    ProjectionHead(int hiddenDim, int projectionDim, long seed, NDManager owner) {
        Random rng = new Random(seed * 0x9E3779B97F4A7C15L + 0x51C1A);
        this.w1 = glorot(owner, hiddenDim, hiddenDim, rng);
        this.b1 = trainable(owner.zeros(new Shape(hiddenDim)));
        this.w2 = glorot(owner, projectionDim, hiddenDim, rng);
        this.b2 = trainable(owner.zeros(new Shape(projectionDim)));
    }

    private static NDArray glorot(NDManager owner, int out, int in, Random rng) {
        float[] v = new float[out * in];
        double limit = Math.sqrt(6.0 / (in + out));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * rng.nextDouble() - 1) * limit);
        }
        NDArray a = owner.create(new Shape(out, in));
        a.set(FloatBuffer.wrap(v));
        return trainable(a);
    }

    private static NDArray trainable(NDArray a) {
        a.setRequiresGradient(true);
        return a;
    }

    /** z = W₂ ReLU(W₁ h + b₁) + b₂ for every row of {@code h} [n, hidden]. */
    NDArray forward(NDArray h) {
        NDArray hidden = h.matMul(w1.transpose()).add(b1);
        return ai.djl.nn.Activation.relu(hidden).matMul(w2.transpose()).add(b2);
    }

    /** The head's arrays by name, for the optimiser. */
    Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("projection.0.weight", w1);
        out.put("projection.0.bias", b1);
        out.put("projection.2.weight", w2);
        out.put("projection.2.bias", b2);
        return out;
    }
}
