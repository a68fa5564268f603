package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class DistributedDpSumTest {

    private static final int N = 20_000;

    private static TensorSet constant(float value) {
        float[] v = new float[N];
        java.util.Arrays.fill(v, value);
        return new TensorSet(List.of(new NamedTensor("w", new long[] {N}, v)));
    }

    @Test
    void theDecodedMeanIsTheBagWeightedMeanOfClippedDeltasPlusNoiseOfStandardDeviationSigmaCnMaxOverTheBags() {
        double clip = 1.0;
        double sigma = 0.5;
        // site 1: norm 0.001·√N ≈ 0.14 (unclipped); site 2: norm 0.05·√N ≈ 7.1, clipped to 1
        TensorSet small = constant(0.001f);
        TensorSet large = constant(0.05f);
        DistributedDpSum sum = new DistributedDpSum(clip, sigma, 2, 30, small.specs(), 1);
        sum.add(small, 10, new Random(1));
        sum.add(large, 30, new Random(2));
        float[] mean = sum.mean().tensors().get(0).values();

        double clippedLarge = 0.05 * clip / (0.05 * Math.sqrt(N));
        double expectedMean = (10 * 0.001 + 30 * clippedLarge) / 40;
        double m = 0;
        for (float x : mean) {
            m += x;
        }
        m /= N;
        double var = 0;
        for (float x : mean) {
            var += (x - m) * (x - m);
        }
        double std = Math.sqrt(var / (N - 1));
        // the central noise on the weighted sum is σ·C·n_max (n_max = 30), on the mean that over 40 bags
        double expectedStd = sigma * clip * 30 / 40;
        assertThat(m).isCloseTo(expectedMean, within(6 * expectedStd / Math.sqrt(N)));
        assertThat(std).isCloseTo(expectedStd, within(0.03 * expectedStd));
        assertThat(sum.centralNoiseMultiplier()).isCloseTo(sigma, within(sigma * 1e-3));
    }
}
