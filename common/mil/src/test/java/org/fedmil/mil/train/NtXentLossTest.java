package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class NtXentLossTest {

    /**
     * B = 2 tiles, τ = 0.5. Views a₁ = (1, 0), a₂ = (0, 1) and b₁ = (0.6, 0.8), b₂ = (0, 2), which normalises to
     * (0, 1); a₁/b₁ and a₂/b₂ are the positive pairs. Cosines: a₁·a₂ = 0, a₁·b₁ = 0.6, a₁·b₂ = 0, a₂·b₁ = 0.8,
     * a₂·b₂ = 1, b₁·b₂ = 0.8. Divided by τ, each row's logits over the other three, positive first:
     * <pre>
     *   a₁: 1.2 | 0, 0      ℓ = −1.2 + ln(e^1.2 + 2)            = 0.4714953
     *   a₂: 2.0 | 0, 1.6    ℓ = −2.0 + ln(e^2 + 1 + e^1.6)      = 0.5909236
     *   b₁: 1.2 | 1.6, 1.6  ℓ = −1.2 + ln(e^1.2 + 2 e^1.6)      = 1.3821983
     *   b₂: 2.0 | 0, 1.6    ℓ = −2.0 + ln(e^2 + 1 + e^1.6)      = 0.5909236
     * </pre>
     * mean 0.7588852.
     */
    @Test
    void matchesTheHandComputedLossOfATinyBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z1 = m.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray z2 = m.create(new float[] {0.6f, 0.8f, 0, 2}, new Shape(2, 2));

            float loss = new NtXentLoss(0.5).evaluate(z1, z2).getFloat();

            assertThat((double) loss).isCloseTo(0.7588852, within(1e-5));
        }
    }

    @Test
    void isLowWhenEachTilesViewsAgreeAndTheTilesDiffer() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray distinct = m.create(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, new Shape(3, 3));
            NDArray alike = m.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(3, 3));
            NtXentLoss loss = new NtXentLoss(0.1);

            float agreeing = loss.evaluate(distinct, distinct.duplicate()).getFloat();
            float collapsed = loss.evaluate(alike, alike.duplicate()).getFloat();

            // identical views, orthogonal tiles: each row's positive has logit 10, the 4 negatives 0
            assertThat((double) agreeing).isCloseTo(-10 + Math.log(Math.exp(10) + 4), within(1e-4));
            // every projection the same: the positive is one of 5 equal candidates
            assertThat((double) collapsed).isCloseTo(Math.log(5), within(1e-4));
        }
    }

    @Test
    void refusesViewsOfDifferentShapesAndANonPositiveTemperature() {
        try (NDManager m = NDManager.newBaseManager()) {
            NtXentLoss loss = new NtXentLoss(0.5);
            assertThatThrownBy(() -> loss.evaluate(m.zeros(new Shape(2, 3)), m.zeros(new Shape(3, 3))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[B, d]");
        }
        assertThatThrownBy(() -> new NtXentLoss(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("temperature");
    }
}
