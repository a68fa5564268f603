package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tensor larger than Adam's slice is updated a slice at a time, so that the engine's kernel holds temporaries the
 * size of a slice rather than of the tensor: the weights and moments must come out exactly as from one kernel
 * call on the whole tensor, step after step (which also pins that the gradient is cleared between steps).
 */
class AdamSlicesTest {

    private static final int ROWS = 37;
    private static final int COLS = 1001;
    private static final long WHOLE = 1L << 40;

    /** Weights, first and second moments after {@code steps} steps of a loss whose gradient changes every step. */
    private static float[][] train(long chunk, float weightDecay, boolean decoupled, int steps) {
        Random rng = new Random(11);
        try (NDManager manager = Engine.getInstance().newBaseManager()) {
            NDArray w = manager.create(gaussian(rng, ROWS * COLS), new Shape(ROWS, COLS));
            w.setRequiresGradient(true);
            Adam adam = new Adam(Map.of("w", w), weightDecay, 0f, decoupled, manager.newSubManager(), chunk);
            for (int i = 0; i < steps; i++) {
                NDArray c = manager.create(gaussian(rng, ROWS * COLS), new Shape(ROWS, COLS));
                try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    collector.backward(w.mul(w).mul(c).sum());
                }
                adam.update(0.01f);
            }
            OptimizerMemory memory = new OptimizerMemory();
            adam.save(memory);
            return new float[][] {w.toFloatArray(), memory.mean("w"), memory.variance("w")};
        }
    }

    private static float[] gaussian(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }

    @ParameterizedTest(name = "weight decay {0}, AdamW {1}")
    @CsvSource({"0, false", "0.01, false", "0.01, true"})
    void slicesGiveTheWholeTensorsWeightsAndMomentsBitForBit(float weightDecay, boolean decoupled) {
        float[][] whole = train(WHOLE, weightDecay, decoupled, 4);
        // 6400 elements per slice: six slices, the last one short, boundaries in the middle of rows
        float[][] sliced = train(6400, weightDecay, decoupled, 4);

        assertThat(sliced[0]).as("weights").containsExactly(whole[0]);
        assertThat(sliced[1]).as("first moments").containsExactly(whole[1]);
        assertThat(sliced[2]).as("second moments").containsExactly(whole[2]);
        float[] start = train(WHOLE, weightDecay, decoupled, 0)[0];
        assertThat(sliced[0]).as("the weights moved").isNotEqualTo(start);
    }
}
