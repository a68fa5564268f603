package org.fedmil.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeltaCodecTest {

    private static TensorSet randomDelta(long seed, float scale) {
        Random rng = new Random(seed);
        float[] a = new float[300];
        float[] b = new float[7];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (rng.nextGaussian() * scale * 10);
        }
        return new TensorSet(List.of(new NamedTensor("w", new long[] {30, 10}, a),
                new NamedTensor("b", new long[] {7}, b)));
    }

    @Test
    void float32IsTheExactTensorCodecForm() {
        TensorSet d = randomDelta(1, 0.01f);
        assertThat(DeltaCodec.encode(d, DeltaEncoding.FLOAT32)).isEqualTo(TensorCodec.encode(d));
        assertThat(DeltaCodec.roundTrip(d, DeltaEncoding.FLOAT32)).isEqualTo(d);
    }

    @Test
    void float16KeepsElevenBitsOfEveryValue() {
        TensorSet d = randomDelta(2, 0.01f);
        byte[] bytes = DeltaCodec.encode(d, DeltaEncoding.FLOAT16);
        assertThat(bytes).hasSize(2 * 307);
        TensorSet back = DeltaCodec.decode(d.specs(), DeltaEncoding.FLOAT16, bytes);
        for (int t = 0; t < d.tensors().size(); t++) {
            float[] x = d.tensors().get(t).values();
            float[] y = back.tensors().get(t).values();
            for (int i = 0; i < x.length; i++) {
                // relative 2⁻¹¹ in the normal range, plus half the smallest subnormal (2⁻²⁵) below it
                assertThat(Math.abs(y[i] - x[i])).isLessThanOrEqualTo(Math.abs(x[i]) * 0x1p-11f + 0x1p-25f);
            }
        }
    }

    @Test
    void halfConversionMatchesKnownValues() {
        assertThat(Half.fromFloat(1f)).isEqualTo((short) 0x3c00);
        assertThat(Half.fromFloat(-2f)).isEqualTo((short) 0xc000);
        assertThat(Half.fromFloat(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Half.fromFloat(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Half.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Half.toFloat(Half.fromFloat(0.1f))).isEqualTo(0.099975586f);
        assertThat(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN)))).isTrue();
    }

    @Test
    void int8ErrorIsAtMostHalfAStepOfEachTensorsScale() {
        TensorSet d = randomDelta(3, 0.01f);
        byte[] bytes = DeltaCodec.encode(d, DeltaEncoding.INT8);
        assertThat(bytes).hasSize(4 + 300 + 4 + 7);
        assertThat(DeltaCodec.byteSize(d.specs(), DeltaEncoding.INT8)).isEqualTo(bytes.length);
        TensorSet back = DeltaCodec.decode(d.specs(), DeltaEncoding.INT8, bytes);
        for (int t = 0; t < d.tensors().size(); t++) {
            float[] x = d.tensors().get(t).values();
            float[] y = back.tensors().get(t).values();
            float max = 0;
            for (float v : x) {
                max = Math.max(max, Math.abs(v));
            }
            float step = max / 127;
            for (int i = 0; i < x.length; i++) {
                assertThat(Math.abs(y[i] - x[i])).isLessThanOrEqualTo(step / 2 * 1.0001f);
            }
        }
    }

    @Test
    void int8OfAZeroTensorIsZero() {
        TensorSet zero = new TensorSet(List.of(new NamedTensor("z", new long[] {3}, new float[3])));
        assertThat(DeltaCodec.roundTrip(zero, DeltaEncoding.INT8)).isEqualTo(zero);
    }

    @Test
    void wrongByteCountIsRefused() {
        TensorSet d = randomDelta(4, 0.01f);
        byte[] bytes = DeltaCodec.encode(d, DeltaEncoding.INT8);
        assertThatThrownBy(() -> DeltaCodec.decode(d.specs(), DeltaEncoding.FLOAT16, bytes))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorFeedbackCarriesTheResidualIntoTheNextRound() {
        ErrorFeedback feedback = new ErrorFeedback(DeltaEncoding.INT8);
        TensorSet d1 = randomDelta(5, 0.01f);
        byte[] first = feedback.encode(d1);
        TensorSet sent1 = DeltaCodec.decode(d1.specs(), DeltaEncoding.INT8, first);
        // the residual is exactly what rounding took off
        assertThat(feedback.residual()).isEqualTo(d1.minus(sent1));
        TensorSet d2 = randomDelta(6, 0.01f);
        TensorSet sent2 = DeltaCodec.decode(d2.specs(), DeltaEncoding.INT8, feedback.encode(d2));
        // what arrived over two rounds is what was trained over two rounds, up to the last round's residual
        TensorSet owed = d1.plus(d2).minus(sent1.plus(sent2));
        float[] a = owed.tensors().get(0).values();
        float[] r = feedback.residual().tensors().get(0).values();
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).isCloseTo(r[i], org.assertj.core.api.Assertions.within(1e-7f));
        }
    }

    @Test
    void configNamesRoundTrip() {
        for (DeltaEncoding e : DeltaEncoding.values()) {
            assertThat(DeltaEncoding.fromConfigName(e.configName())).isEqualTo(e);
        }
        assertThatThrownBy(() -> DeltaEncoding.fromConfigName("zip")).hasMessageContaining("none, float16 or int8");
    }
}
