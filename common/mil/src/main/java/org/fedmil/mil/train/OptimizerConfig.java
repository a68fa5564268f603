package org.fedmil.mil.train;

import org.fedmil.config.ConfigName;

/**
 * Which optimiser a site trains with, as the federation configures it (training.optimizer).
 *
 * @param kind     Adam (the default), AdamW or SGD
 * @param momentum SGD's momentum μ in [0, 1); ignored by Adam and AdamW
 * @param nesterov SGD only: Nesterov's look-ahead form of momentum (needs μ &gt; 0)
 */
public record OptimizerConfig(Kind kind, double momentum, boolean nesterov) {

    /** Adam with L2 weight decay added to the gradient: what sites trained with before there was a choice. */
    public static final OptimizerConfig ADAM = new OptimizerConfig(Kind.ADAM, 0, false);

    public OptimizerConfig {
        if (kind == null) {
            throw new IllegalArgumentException("optimizer kind is required");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (nesterov && (kind != Kind.SGD || momentum == 0)) {
            throw new IllegalArgumentException("nesterov applies to optimizer sgd with momentum > 0 only, got "
                    + kind.configName() + " with momentum " + momentum);
        }
    }

    public enum Kind implements ConfigName {
        /** Adam (Kingma and Ba 2015); weight decay is an L2 term added to the gradient, so Adam rescales it. */
        ADAM("adam"),
        /**
         * AdamW (Loshchilov and Hutter 2019): weight decay is applied to the weights directly, w ← w − η·λ·w,
         * decoupled from Adam's per-weight rescaling, so every weight decays at the same rate.
         */
        ADAMW("adamw"),
        /** Stochastic gradient descent with (optionally Nesterov) momentum, PyTorch's form without dampening. */
        SGD("sgd");

        private final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        @Override
        public String configName() {
            return configName;
        }

        public static Kind fromConfigName(String name) {
            return ConfigName.parse(Kind.class, name, ADAM, "optimizer");
        }
    }

    /** A fresh optimiser of this kind over {@code weights}; its state belongs to {@code stateOwner}. */
    Optimizer create(java.util.Map<String, ai.djl.ndarray.NDArray> weights, float weightDecay, float proximalMu,
                     ai.djl.ndarray.NDManager stateOwner) {
        return switch (kind) {
            case ADAM -> new Adam(weights, weightDecay, proximalMu, false, stateOwner);
            case ADAMW -> new Adam(weights, weightDecay, proximalMu, true, stateOwner);
            case SGD -> new Sgd(weights, weightDecay, proximalMu, (float) momentum, nesterov, stateOwner);
        };
    }
}
