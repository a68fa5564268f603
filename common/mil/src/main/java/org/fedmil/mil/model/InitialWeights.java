package org.fedmil.mil.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * A model's starting weights from its spec and seed in plain Java, bit-identical to
 * {@link MilModel#create(ModelSpec, ai.djl.Device, long)}'s: Glorot-uniform weights from one stream per tensor keyed
 * by its name, zero biases and a zero attention-score layer. A party that only needs the numbers (a coordinator that
 * does not evaluate) gets them without starting the engine.
 */
public final class InitialWeights {

    /** The attention-score layer: zero, so attention starts uniform (see AttentionPooling). */
    static final String ATTENTION_SCORE = "attention.w.weight";

    private InitialWeights() {
    }

    public static TensorSet of(ModelSpec spec, long seed) {
        List<NamedTensor> out = new ArrayList<>();
        for (TensorSpec t : ModelSize.tensorsOf(spec)) {
            boolean zero = t.name().endsWith(".bias") || t.name().equals(ATTENTION_SCORE);
            out.add(new NamedTensor(t.name(), t.shape(), values(t.name(), t.shape(), !zero, seed)));
        }
        return new TensorSet(out);
    }

    /** One tensor's starting values: Glorot-uniform, or zeros. */
    static float[] values(String name, long[] shape, boolean glorot, long seed) {
        float[] values = new float[Math.toIntExact(NamedTensor.elementCount(shape))];
        if (glorot) {
            // one stream per tensor, keyed by its name, so adding a tensor never shifts another's values
            Random rng = new Random(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            double limit = glorotLimit(shape);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((2 * rng.nextDouble() - 1) * limit);
            }
        }
        return values;
    }

    /** sqrt(6 / (fan_in + fan_out)) for a weight of shape [out, in, kernel…]. */
    static double glorotLimit(long[] shape) {
        long receptive = 1;
        for (int i = 2; i < shape.length; i++) {
            receptive *= shape[i];
        }
        long fanOut = shape[0] * receptive;
        long fanIn = (shape.length > 1 ? shape[1] : shape[0]) * receptive;
        return Math.sqrt(6.0 / (fanIn + fanOut));
    }
}
