package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class CompressionFilterTest {

    private static final TensorSet DELTA = Deltas.gaussian(3, 2_000, 0.05);

    private static double[] decoded(Outbound o) {
        return Deltas.flat(DeltaCodec.decode(o.specs(), o.encoding(), o.bytes()));
    }

    @Test
    void encodesInTheRoundsEncodingAndCarriesWhatRoundingLostIntoTheNextRound() {
        CompressionFilter filter = new CompressionFilter();

        Outbound first = filter.apply(Deltas.trained(1, DELTA, 10, DeltaEncoding.INT8));
        Outbound second = filter.apply(Deltas.trained(2, DELTA, 10, DeltaEncoding.INT8));

        assertThat(first.encoding()).isEqualTo(DeltaEncoding.INT8);
        assertThat(first.bytes()).hasSize((int) DeltaCodec.byteSize(DELTA.specs(), DeltaEncoding.INT8));
        assertThat(second.bytes()).as("the residual of round 1 is added to round 2").isNotEqualTo(first.bytes());
        // with error feedback, two rounds together are off by one round's rounding, not two
        double[] d = Deltas.flat(DELTA);
        double[] a = decoded(first);
        double[] b = decoded(second);
        double withFeedback = 0;
        double withoutFeedback = 0;
        for (int i = 0; i < d.length; i++) {
            withFeedback = Math.max(withFeedback, Math.abs(a[i] + b[i] - 2 * d[i]));
            withoutFeedback = Math.max(withoutFeedback, Math.abs(2 * a[i] - 2 * d[i]));
        }
        assertThat(withFeedback).isLessThan(withoutFeedback);
    }

    @Test
    void float32IsTheDeltaAsItIsAndLeavesNoResidual() {
        CompressionFilter filter = new CompressionFilter();

        Outbound first = filter.apply(Deltas.trained(1, DELTA, 10, DeltaEncoding.FLOAT32));
        Outbound second = filter.apply(Deltas.trained(2, DELTA, 10, DeltaEncoding.FLOAT32));

        assertThat(first.bytes()).isEqualTo(TensorCodec.encode(DELTA));
        assertThat(second.bytes()).isEqualTo(first.bytes());
    }

    @Test
    void aResetForgetsTheResidualOfTheFederationBefore() {
        CompressionFilter filter = new CompressionFilter();
        Outbound first = filter.apply(Deltas.trained(1, DELTA, 10, DeltaEncoding.INT8));

        filter.reset();
        Outbound again = filter.apply(Deltas.trained(1, DELTA, 10, DeltaEncoding.INT8));

        assertThat(again.bytes()).isEqualTo(first.bytes());
    }
}
