package org.fedmil.mil.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each optimiser's update of a two-element weight against values computed by hand from its formula. The loss is
 * c · w, so the gradient is c whatever w is, and every number below can be checked on paper.
 */
class OptimizerUpdateTest {

    private static final float[] W0 = {1.0f, -2.0f};
    private static final float[] C = {0.5f, -1.0f};

    /** Runs {@code steps} backward passes of c · w, each followed by one update at rate {@code eta}. */
    private static float[] train(OptimizerConfig config, float weightDecay, float eta, int steps) {
        try (NDManager manager = Engine.getInstance().newBaseManager()) {
            NDArray w = manager.create(W0.clone());
            w.setRequiresGradient(true);
            NDArray c = manager.create(C);
            Optimizer optimizer = config.create(Map.of("w", w), weightDecay, 0f, manager.newSubManager());
            for (int i = 0; i < steps; i++) {
                try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    collector.backward(w.mul(c).sum());
                }
                optimizer.update(eta);
            }
            return w.toFloatArray();
        }
    }

    @Test
    void adamsFirstStepMovesEveryWeightByTheRateAgainstItsGradientsSign() {
        // step 1: m = 0.1 g, v = 0.001 g², bias-corrected m̂ = g, v̂ = g², so Δw = −η g / (|g| + ε) ≈ −η sign(g)
        float[] w = train(OptimizerConfig.ADAM, 0f, 0.1f, 1);
        assertThat(w[0]).isCloseTo(1.0f - 0.1f, within(1e-6f));
        assertThat(w[1]).isCloseTo(-2.0f + 0.1f, within(1e-6f));
    }

    @Test
    void adamWDecaysTheWeightsByRateTimesDecayBeforeTheAdamStep() {
        // w ← w − η λ w = w (1 − 0.1 · 0.5) = 0.95 w, then the Adam step −η sign(g) as above
        float[] w = train(new OptimizerConfig(OptimizerConfig.Kind.ADAMW, 0, false), 0.5f, 0.1f, 1);
        assertThat(w[0]).isCloseTo(0.95f - 0.1f, within(1e-6f));
        assertThat(w[1]).isCloseTo(-1.9f + 0.1f, within(1e-6f));
    }

    @Test
    void adamsL2DecayEntersTheGradientAndIsRescaledAway() {
        // Adam: g' = g + λ w = (0.5 + 0.5, −1 − 1) = (1, −2); the first step is still −η sign(g'): the decay only
        // changed the direction's magnitude, which Adam normalises, unlike AdamW above
        float[] w = train(OptimizerConfig.ADAM, 0.5f, 0.1f, 1);
        assertThat(w[0]).isCloseTo(0.9f, within(1e-6f));
        assertThat(w[1]).isCloseTo(-1.9f, within(1e-6f));
    }

    @Test
    void adamsSecondStepUsesTheSecondBiasCorrection() {
        // constant g: m̂ = g and v̂ = g² at every step, so two steps move 2η sign(g): this pins that the gradient
        // of step 1 was cleared (had it piled up, step 2 would see 2g in m but the bias correction of a constant)
        float[] w = train(OptimizerConfig.ADAM, 0f, 0.1f, 2);
        assertThat(w[0]).isCloseTo(0.8f, within(1e-5f));
        assertThat(w[1]).isCloseTo(-1.8f, within(1e-5f));
    }

    @Test
    void sgdWithoutMomentumStepsByRateTimesGradientPlusDecay() {
        // w ← w − η (g + λ w): 1 − 0.1 (0.5 + 0.1·1) = 0.94; −2 − 0.1 (−1 + 0.1·−2) = −1.88
        float[] w = train(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0, false), 0.1f, 0.1f, 1);
        assertThat(w[0]).isCloseTo(0.94f, within(1e-6f));
        assertThat(w[1]).isCloseTo(-1.88f, within(1e-6f));
    }

    @Test
    void sgdMomentumAccumulatesTheBufferOverSteps() {
        // μ = 0.9, η = 0.1, constant g: b₁ = g, b₂ = 0.9 g + g = 1.9 g, b₃ = 0.9·1.9 g + g = 2.71 g;
        // w₃ = w₀ − η (1 + 1.9 + 2.71) g = w₀ − 0.561 g
        float[] w = train(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.9, false), 0f, 0.1f, 3);
        assertThat(w[0]).isCloseTo(1.0f - 0.561f * 0.5f, within(1e-5f));
        assertThat(w[1]).isCloseTo(-2.0f + 0.561f, within(1e-5f));
    }

    @Test
    void nesterovStepsByGradientPlusMomentumTimesTheNewBuffer() {
        // Nesterov: d = g + μ b. Step 1: b = g, d = 1.9 g; step 2: b = 1.9 g, d = g + 0.9·1.9 g = 2.71 g;
        // w₂ = w₀ − η (1.9 + 2.71) g = w₀ − 0.461 g
        float[] w = train(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.9, true), 0f, 0.1f, 2);
        assertThat(w[0]).isCloseTo(1.0f - 0.461f * 0.5f, within(1e-5f));
        assertThat(w[1]).isCloseTo(-2.0f + 0.461f, within(1e-5f));
    }

    @Test
    void theRateIsTakenPerUpdateSoAScheduleCanChangeIt() {
        // SGD, no momentum: steps at η = 0.1 then 0.0 move the weight once only
        try (NDManager manager = Engine.getInstance().newBaseManager()) {
            NDArray w = manager.create(W0.clone());
            w.setRequiresGradient(true);
            NDArray c = manager.create(C);
            Optimizer sgd = new OptimizerConfig(OptimizerConfig.Kind.SGD, 0, false)
                    .create(Map.of("w", w), 0f, 0f, manager.newSubManager());
            for (float eta : new float[]{0.1f, 0f}) {
                try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    collector.backward(w.mul(c).sum());
                }
                sgd.update(eta);
            }
            assertThat(w.toFloatArray()[0]).isCloseTo(0.95f, within(1e-6f));
            assertThat(w.toFloatArray()[1]).isCloseTo(-1.9f, within(1e-6f));
        }
    }
}
