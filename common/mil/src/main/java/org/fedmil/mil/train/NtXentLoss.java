package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * SimCLR's normalized temperature-scaled cross-entropy (Chen et al. 2020). For B tiles seen as two views, z₁ and
 * z₂ [B, d], the 2B projections are L2-normalised; row i's logits are its cosine similarities to the other 2B − 1
 * rows divided by the temperature τ, its target the other view of the same tile, and the loss is the mean
 * cross-entropy over all 2B rows:
 * <pre>  ℓ = −1/(2B) Σᵢ log( exp(sim(i, p(i))/τ) / Σ_{k≠i} exp(sim(i, k)/τ) )</pre>
 * Every other tile of the batch is a negative, so larger batches give a harder, more informative task.
 */
public final class NtXentLoss {

    /** Added to every squared norm, so that an all-zero projection does not divide by zero. */
    private static final float NORM_EPSILON = 1e-12f;
    /** Subtracted from a row's similarity to itself: exp of it is 0 in float32, so self is no candidate. */
    private static final float SELF_MASK = 1e9f;

    private final double temperature;

    public NtXentLoss(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("NT-Xent temperature must be positive and finite, got " + temperature);
        }
        this.temperature = temperature;
    }

    public double temperature() {
        return temperature;
    }

    /**
     * The loss of one batch, a scalar attached to {@code z1}'s manager.
     *
     * @param z1 the first views' projections [B ≥ 1, d]
     * @param z2 the second views' projections, row i the same tile as row i of {@code z1}
     */
    public NDArray evaluate(NDArray z1, NDArray z2) {
        Shape shape = z1.getShape();
        if (shape.dimension() != 2 || !shape.equals(z2.getShape())) {
            throw new IllegalArgumentException("the two views' projections must both be [B, d], got " + shape
                    + " and " + z2.getShape());
        }
        int b = Math.toIntExact(shape.get(0));
        int n = 2 * b;
        NDManager manager = z1.getManager();
        NDArray z = NDArrays.concat(new ai.djl.ndarray.NDList(z1, z2), 0);
        NDArray unit = z.div(z.pow(2).sum(new int[] {1}, true).add(NORM_EPSILON).sqrt());
        NDArray logits = unit.matMul(unit.transpose()).div((float) temperature)
                .sub(manager.eye(n).mul(SELF_MASK));
        float[] positives = new float[n * n];
        for (int i = 0; i < n; i++) {
            positives[i * n + (i + b) % n] = 1f;
        }
        NDArray target = manager.create(positives, new Shape(n, n));
        return logits.logSoftmax(1).mul(target).sum().neg().div((float) n);
    }
}
