package org.fedmil.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireFloatsTest {

    private static byte[] wire(float[] values) {
        return TensorCodec.encode(new TensorSet(List.of(new NamedTensor("t", new long[] {values.length}, values))));
    }

    @Test
    void theVectorisedFoldGivesTheSameFloatsAsThePortableOneAtAnyOffset() {
        Random random = new Random(3);
        float[] values = new float[10_007];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
        }
        byte[] bytes = wire(values);
        for (int from : new int[] {0, 1, 3, 4_000}) {
            float[] fast = new float[values.length - from - 5];
            float[] portable = new float[fast.length];
            for (int i = 0; i < fast.length; i++) {
                fast[i] = portable[i] = (float) random.nextGaussian();
            }
            for (float weight : new float[] {1f, 37f, 4999f}) {
                WireFloats.addScaled(fast, bytes, from, weight);
                WireFloats.addScaledPortable(portable, bytes, from, weight);
            }
            assertThat(fast).as("from element %d", from).containsExactly(portable);
            assertThat(fast[0]).isNotEqualTo(0f);
        }
    }

    @Test
    void aFoldInPiecesGivesTheSameFloatsAsOneFoldOfTheWhole() {
        Random random = new Random(5);
        float[] values = new float[10_007];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
        }
        byte[] bytes = wire(values);
        float[] whole = new float[values.length];
        float[] pieces = new float[values.length];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = pieces[i] = (float) random.nextGaussian();
        }
        WireFloats.addScaled(whole, bytes, 0, 37f);
        for (int at = 0; at < values.length; at += 1_000) {
            int n = Math.min(1_000, values.length - at);
            byte[] piece = java.util.Arrays.copyOfRange(bytes, 4 * at, 4 * (at + n));
            WireFloats.addScaled(pieces, at, n, piece, 0, 37f);
        }
        assertThat(pieces).containsExactly(whole);
    }

    @Test
    void aPieceFoldRefusesARangeOutsideEitherArrayBeforeReadingAnything() {
        float[] acc = new float[4];
        byte[] bytes = wire(new float[] {1f, 2f, 3f});
        assertThatThrownBy(() -> WireFloats.addScaled(acc, 2, 3, bytes, 0, 1f))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> WireFloats.addScaled(acc, 0, 3, bytes, 1, 1f))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(acc).containsOnly(0f);
    }

    @Test
    void foldsWeightTimesTheWireValue() {
        float[] acc = {1f, 2f};
        WireFloats.addScaled(acc, wire(new float[] {9f, 0.5f, -0.25f}), 1, 4f);
        assertThat(acc).containsExactly(3f, 1f);
    }

    @Test
    void refusesARangeOutsideTheBytesBeforeReadingAnything() {
        float[] acc = new float[3];
        byte[] bytes = wire(new float[] {1f, 2f, 3f, 4f});
        assertThatThrownBy(() -> WireFloats.addScaled(acc, bytes, 2, 1f)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> WireFloats.addScaled(acc, bytes, -1, 1f)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(acc).containsOnly(0f);
    }

    @Test
    void usesTheVectorisablePathOnThisLittleEndianJvm() {
        // the benchmark's figure depends on it; a JVM that refuses jdk.unsupported would silently be slower
        assertThat(WireFloats.vectorised()).isEqualTo(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN);
    }
}
