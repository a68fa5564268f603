package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** FedAvg's arithmetic: the streaming bag-weighted mean ({@link WeightedMean}) every linear strategy folds into. */
class FedAvgTest {

    private static TensorSet set(float[] w, float[] b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, w), new NamedTensor("b", new long[] {1}, b)));
    }

    @Test
    void weightsEachDeltaByItsBagCount() {
        // global w=[1,2] b=[0.5]; A: n=1 Δ=[1,-1],[0.2]; B: n=3 Δ=[-1,3],[0.6]
        // Σ nΔ = [-2, 8], [2.0]; Σ n = 4 → mean Δ = [-0.5, 2], [0.5] → w=[0.5, 4], b=[1.0]
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0.5f});
        WeightedMean avg = new WeightedMean(global.specs());
        avg.accept(set(new float[] {1f, -1f}, new float[] {0.2f}), 1);
        avg.accept(set(new float[] {-1f, 3f}, new float[] {0.6f}), 3);

        TensorSet next = avg.applyTo(global);

        assertThat(next.get("w").values()).containsExactly(0.5f, 4.0f);
        assertThat(next.get("b").values()[0]).isEqualTo(1.0f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(avg.updates()).isEqualTo(2);
        assertThat(avg.totalBags()).isEqualTo(4);
        assertThat(global.get("w").values()).as("the current global model is left untouched").containsExactly(1f, 2f);
    }

    @Test
    void foldingTheWireBytesEqualsFoldingTheDecodedDelta() {
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0.5f});
        TensorSet a = set(new float[] {1f, -1f}, new float[] {0.2f});
        TensorSet b = set(new float[] {-1e-7f, 3f}, new float[] {0.6f});
        WeightedMean decoded = new WeightedMean(global.specs());
        decoded.accept(a, 1);
        decoded.accept(b, 3);
        WeightedMean wire = new WeightedMean(global.specs());
        wire.acceptWire(a.specs(), org.fedmil.tensor.TensorCodec.encode(a), 1);
        wire.acceptWire(b.specs(), org.fedmil.tensor.TensorCodec.encode(b), 3);

        assertThat(wire.applyTo(global)).isEqualTo(decoded.applyTo(global));
        assertThat(wire.updates()).isEqualTo(2);
        assertThatThrownBy(() -> wire.acceptWire(a.specs(), new byte[8], 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theStepInPlaceGivesTheSameModelAsApplyToAndUsesTheMeanUp() {
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0.5f});
        WeightedMean copy = new WeightedMean(global.specs());
        WeightedMean inPlace = new WeightedMean(global.specs());
        for (WeightedMean m : List.of(copy, inPlace)) {
            m.accept(set(new float[] {1f, -1f}, new float[] {0.2f}), 1);
            m.accept(set(new float[] {-1e-7f, 3f}, new float[] {0.6f}), 3);
        }

        TensorSet next = inPlace.takeAppliedTo(global);

        assertThat(next).isEqualTo(copy.applyTo(global));
        assertThat(global.get("w").values()).as("the current global model is left untouched").containsExactly(1f, 2f);
        // the new weights live in the sum's arrays: folding into the mean again would change the new model
        assertThatThrownBy(() -> inPlace.accept(set(new float[] {1f, 1f}, new float[] {1f}), 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("used up");
        assertThatThrownBy(() -> inPlace.acceptWire(global.specs(), new byte[12], 1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(inPlace::mean).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> inPlace.takeAppliedTo(global)).isInstanceOf(IllegalStateException.class);
        // w = [1, 2] + (1·[1, −1] + 3·[−1e-7, 3]) / 4
        assertThat(next.get("w").values()).containsExactly(1.2499999f, 4.0f);
    }

    @Test
    void fedAvgsFinishAllocatesNoThirdCopyOfTheModel() {
        // the round's new model is the sum's own arrays: the coordinator holds the old and the new model while a
        // round closes, not the sum besides (docs/benchmarks.md, the coordinator's heap)
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0.5f});
        FedAvg fedAvg = new FedAvg();
        fedAvg.beginRound(global.specs());
        fedAvg.accept(set(new float[] {1f, -1f}, new float[] {0.2f}), 1);
        assertThat(fedAvg.finish(global).get("w").values()).containsExactly(2f, 1f);

        int n = 1 << 22; // 16 MiB of float32: a copy would show far above the measurement's noise
        TensorSet big = new TensorSet(List.of(new NamedTensor("w", new long[] {n}, new float[n])));
        fedAvg.beginRound(big.specs());
        fedAvg.accept(new TensorSet(List.of(new NamedTensor("w", new long[] {n}, new float[n]))), 1);
        long before = allocatedBytes();
        fedAvg.finish(big);
        long allocated = allocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by finishing a round of a 16 MiB model").isLessThan(1L << 20);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    @Test
    void aSingleUpdateIsAppliedAsIs() {
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0f});
        WeightedMean avg = new WeightedMean(global.specs());
        avg.accept(set(new float[] {0.25f, -0.5f}, new float[] {1f}), 17);
        assertThat(avg.applyTo(global)).isEqualTo(set(new float[] {1.25f, 1.5f}, new float[] {1f}));
    }

    @Test
    void refusesAnUpdateWithOtherTensors() {
        WeightedMean avg = new WeightedMean(set(new float[2], new float[1]).specs());
        TensorSet wrong = new TensorSet(List.of(new NamedTensor("w", new long[] {1, 2}, new float[2]),
                new NamedTensor("b", new long[] {1}, new float[1])));
        assertThatThrownBy(() -> avg.accept(wrong, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not match");
        assertThat(avg.updates()).isZero();
    }

    @Test
    void refusesANonPositiveBagCount() {
        WeightedMean avg = new WeightedMean(set(new float[2], new float[1]).specs());
        assertThatThrownBy(() -> avg.accept(set(new float[2], new float[1]), 0))
                .hasMessageContaining("positive number of training bags");
    }

    @Test
    void cannotAverageNothing() {
        TensorSet global = set(new float[2], new float[1]);
        assertThatThrownBy(() -> new WeightedMean(global.specs()).applyTo(global)).isInstanceOf(IllegalStateException.class);
    }

    // ---- numerics of the float32 accumulator ------------------------------------------------------------------

    private static final double U = Math.scalb(1.0, -24);

    /** K updates of one P-parameter tensor, bag counts 1..5000, |Δ| spread over six decades, signs mixed. */
    private record Updates(float[][] deltas, long[] bags) {

        static Updates mixed(int k, int p, long seed) {
            Random random = new Random(seed);
            float[][] deltas = new float[k][p];
            long[] bags = new long[k];
            for (int i = 0; i < k; i++) {
                bags[i] = 1 + random.nextInt(5000);
                double siteScale = Math.pow(10, -3 * random.nextDouble()); // some sites move further than others
                for (int j = 0; j < p; j++) {
                    double magnitude = siteScale * Math.pow(10, -6 * random.nextDouble());
                    deltas[i][j] = (float) (random.nextBoolean() ? magnitude : -magnitude);
                }
            }
            return new Updates(deltas, bags);
        }

        long totalBags() {
            long n = 0;
            for (long b : bags) {
                n += b;
            }
            return n;
        }

        /** Σ nₖΔₖ / Σ nₖ at parameter j, computed exactly (floats are exact in BigDecimal) and rounded once. */
        double exactMean(int j) {
            BigDecimal sum = BigDecimal.ZERO;
            for (int i = 0; i < bags.length; i++) {
                sum = sum.add(BigDecimal.valueOf(bags[i]).multiply(new BigDecimal(deltas[i][j])));
            }
            return sum.divide(BigDecimal.valueOf(totalBags()), MathContext.DECIMAL128).doubleValue();
        }

        /** Σ nₖ|Δₖ| / Σ nₖ at parameter j: the scale of the summation error bound. */
        double meanAbs(int j) {
            double s = 0;
            for (int i = 0; i < bags.length; i++) {
                s += bags[i] * Math.abs((double) deltas[i][j]);
            }
            return s / totalBags();
        }

        WeightedMean foldedOverTheWire() {
            List<org.fedmil.tensor.TensorSpec> specs = List.of(new org.fedmil.tensor.TensorSpec("w",
                    new long[] {deltas[0].length}));
            WeightedMean avg = new WeightedMean(specs);
            for (int i = 0; i < bags.length; i++) {
                TensorSet one = new TensorSet(List.of(new NamedTensor("w", new long[] {deltas[i].length}, deltas[i])));
                avg.acceptWire(specs, TensorCodec.encode(one), bags[i]);
            }
            return avg;
        }
    }

    @Test
    void theFloat32SumOf64And500WeightedUpdatesIsWithinTheRecursiveSummationBoundOfTheExactMean() {
        for (int k : new int[] {64, 500}) {
            Updates updates = Updates.mixed(k, 256, 7 + k);
            double[] mean = updates.foldedOverTheWire().mean().delta()[0];
            // Higham's bound for K products rounded once and summed in float, plus the final division: γ_{K+1}
            double gamma = (k + 1) * U / (1 - (k + 1) * U);
            double worstShare = 0;
            for (int j = 0; j < mean.length; j++) {
                double exact = updates.exactMean(j);
                double bound = gamma * updates.meanAbs(j);
                assertThat(Math.abs(mean[j] - exact)).as("K=%d, parameter %d: exact %s", k, j, exact)
                        .isLessThanOrEqualTo(bound);
                worstShare = Math.max(worstShare, Math.abs(mean[j] - exact) / bound);
            }
            // the bound is a worst case; a sum in float that had lost its small terms would sit at it or beyond
            assertThat(worstShare).as("K=%d: largest error as a share of the bound", k).isLessThan(0.5);
        }
    }

    @Test
    void theSummationErrorOf64UpdatesIsBelowTheFloat32ModelsOwnRounding() {
        // deltas up to 1 % of the weights they move (a round of local SGD); the new model is float32 either way
        int k = 64;
        int p = 4096;
        Random random = new Random(11);
        float[] global = new float[p];
        for (int j = 0; j < p; j++) {
            global[j] = (float) ((random.nextBoolean() ? 1 : -1) * (0.01 + random.nextDouble()));
        }
        Updates raw = Updates.mixed(k, p, 12);
        float[][] deltas = new float[k][p];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < p; j++) {
                deltas[i][j] = (float) (raw.deltas()[i][j] * 1e-2 * Math.abs(global[j]));
            }
        }
        Updates updates = new Updates(deltas, raw.bags());
        TensorSet model = new TensorSet(List.of(new NamedTensor("w", new long[] {p}, global)));
        float[] next = updates.foldedOverTheWire().applyTo(model).get("w").values();
        int differing = 0;
        for (int j = 0; j < p; j++) {
            float exact = (float) (global[j] + updates.exactMean(j));
            assertThat(Math.abs(next[j] - exact)).as("parameter %d", j).isLessThanOrEqualTo(Math.ulp(exact));
            if (next[j] != exact) {
                differing++;
            }
        }
        assertThat(differing).as("parameters whose float32 value differs from the exactly rounded one")
                .isLessThan(p / 20);
    }

    @Test
    void aWeightedSumBeyondFloat32RangeIsRefusedRatherThanTurnedIntoAnInfiniteModel() {
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0f});
        WeightedMean avg = new WeightedMean(global.specs());
        avg.accept(set(new float[] {3e38f, 1f}, new float[] {0f}), 2);
        assertThatThrownBy(() -> avg.applyTo(global)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("overflowed float32 at w[0]").hasMessageContaining("limits.max_update_l2_norm");
        assertThatThrownBy(avg::mean).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("overflowed");
    }

    @Test
    void aRoundWhoseWeightsAddUpBeyondALongRefusesRatherThanWraps() {
        FedAvg fedAvg = new FedAvg();
        TensorSet one = new TensorSet(List.of(new NamedTensor("w", new long[] {1}, new float[] {1f})));
        fedAvg.beginRound(one.specs());
        fedAvg.accept(one, Long.MAX_VALUE);

        assertThatThrownBy(() -> fedAvg.accept(one, 1))
                .isInstanceOf(ArithmeticException.class);
    }
}
