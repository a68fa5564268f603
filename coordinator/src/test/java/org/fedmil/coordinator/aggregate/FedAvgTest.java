package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class FedAvgTest {

    private static TensorSet set(float[] w, float[] b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, w), new NamedTensor("b", new long[] {1}, b)));
    }

    @Test
    void weightsEachDeltaByItsBagCount() {
        // global w=[1,2] b=[0.5]; A: n=1 Δ=[1,-1],[0.2]; B: n=3 Δ=[-1,3],[0.6]
        // Σ nΔ = [-2, 8], [2.0]; Σ n = 4 → mean Δ = [-0.5, 2], [0.5] → w=[0.5, 4], b=[1.0]
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0.5f});
        FedAvg avg = new FedAvg(global.specs());
        avg.accept(set(new float[] {1f, -1f}, new float[] {0.2f}), 1);
        avg.accept(set(new float[] {-1f, 3f}, new float[] {0.6f}), 3);

        TensorSet next = avg.apply(global);

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
        FedAvg decoded = new FedAvg(global.specs());
        decoded.accept(a, 1);
        decoded.accept(b, 3);
        FedAvg wire = new FedAvg(global.specs());
        wire.acceptWire(a.specs(), org.fedmil.tensor.TensorCodec.encode(a), 1);
        wire.acceptWire(b.specs(), org.fedmil.tensor.TensorCodec.encode(b), 3);

        assertThat(wire.apply(global)).isEqualTo(decoded.apply(global));
        assertThat(wire.updates()).isEqualTo(2);
        assertThatThrownBy(() -> wire.acceptWire(a.specs(), new byte[8], 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSingleUpdateIsAppliedAsIs() {
        TensorSet global = set(new float[] {1f, 2f}, new float[] {0f});
        FedAvg avg = new FedAvg(global.specs());
        avg.accept(set(new float[] {0.25f, -0.5f}, new float[] {1f}), 17);
        assertThat(avg.apply(global)).isEqualTo(set(new float[] {1.25f, 1.5f}, new float[] {1f}));
    }

    @Test
    void refusesAnUpdateWithOtherTensors() {
        FedAvg avg = new FedAvg(set(new float[2], new float[1]).specs());
        TensorSet wrong = new TensorSet(List.of(new NamedTensor("w", new long[] {1, 2}, new float[2]),
                new NamedTensor("b", new long[] {1}, new float[1])));
        assertThatThrownBy(() -> avg.accept(wrong, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not match");
        assertThat(avg.updates()).isZero();
    }

    @Test
    void refusesANonPositiveBagCount() {
        FedAvg avg = new FedAvg(set(new float[2], new float[1]).specs());
        assertThatThrownBy(() -> avg.accept(set(new float[2], new float[1]), 0))
                .hasMessageContaining("positive number of training bags");
    }

    @Test
    void cannotAverageNothing() {
        TensorSet global = set(new float[2], new float[1]);
        assertThatThrownBy(() -> new FedAvg(global.specs()).apply(global)).isInstanceOf(IllegalStateException.class);
    }
}
