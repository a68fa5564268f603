package org.fedmil.mil.model;

import java.util.Objects;

/**
 * The architecture every party builds, so that parameter names and shapes agree across sites.
 *
 * @param inputDim     features per instance (columns of a bag's .npy matrix)
 * @param hiddenDim    width of the instance embedding h
 * @param attentionDim width of the attention network's hidden layer (ignored by mean/max pooling)
 */
public record ModelSpec(Architecture architecture, int inputDim, int hiddenDim, int attentionDim) {

    public ModelSpec {
        Objects.requireNonNull(architecture, "architecture");
        if (inputDim <= 0 || hiddenDim <= 0 || attentionDim <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: input_dim=" + inputDim
                    + ", hidden_dim=" + hiddenDim + ", attention_dim=" + attentionDim);
        }
    }
}
