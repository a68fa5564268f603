package org.fedmil.site.testing;

import java.util.List;
import java.util.Random;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/** Deltas and outbound updates made up for filter tests. */
public final class Deltas {

    public static final byte[] BASE_SHA = new byte[32];

    private Deltas() {
    }

    /** Two tensors of Gaussian values with standard deviation {@code scale}, {@code n} values in all. */
    public static TensorSet gaussian(long seed, int n, double scale) {
        Random r = new Random(seed);
        float[] a = new float[n / 2];
        float[] b = new float[n - n / 2];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (scale * r.nextGaussian());
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (scale * r.nextGaussian());
        }
        return new TensorSet(List.of(new NamedTensor("layer.weight", new long[]{a.length}, a),
                new NamedTensor("layer.bias", new long[]{b.length}, b)));
    }

    /** The values of {@code delta}, all tensors in order. */
    public static double[] flat(TensorSet delta) {
        double[] out = new double[Math.toIntExact(delta.parameterCount())];
        int at = 0;
        for (NamedTensor t : delta.tensors()) {
            for (float v : t.values()) {
                out[at++] = v;
            }
        }
        return out;
    }

    public static double norm(TensorSet delta) {
        double s = 0;
        for (double v : flat(delta)) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** Round {@code round} of federation "fed-test" from model v{@code round - 1}, without DP. */
    public static Outbound trained(int round, TensorSet delta, long bags, DeltaEncoding encoding) {
        return Outbound.trained("fed-test", round, round - 1, BASE_SHA, new Outbound.Release(
                java.util.OptionalDouble.empty(), java.util.OptionalDouble.empty(), encoding), delta, bags, 0.5);
    }

    /** As above, asking for DP with clip norm {@code clip} and noise multiplier {@code sigma}. */
    public static Outbound trainedWithDp(int round, TensorSet delta, long bags, double clip, double sigma) {
        return Outbound.trained("fed-test", round, round - 1, BASE_SHA, new Outbound.Release(
                java.util.OptionalDouble.of(clip), java.util.OptionalDouble.of(sigma), DeltaEncoding.FLOAT32), delta,
                bags, 0.5);
    }
}
