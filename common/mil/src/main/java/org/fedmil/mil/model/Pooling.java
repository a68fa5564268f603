package org.fedmil.mil.model;

import ai.djl.ndarray.types.Shape;

import java.util.List;

/**
 * Pools a bag's instance embeddings h [n, hidden_dim] into one bag embedding z [1, hidden_dim]. Its forward pass
 * returns (z, instance weights [n]); the weights sum to 1 and say how much each instance shaped z, which is what
 * interpretability views show.
 */
abstract sealed class Pooling extends AbstractMilBlock permits AttentionPooling, MeanPooling, MaxPooling {

    final int hiddenDim;

    Pooling(int hiddenDim) {
        this.hiddenDim = hiddenDim;
    }

    static Pooling of(ModelSpec spec) {
        return switch (spec.architecture()) {
            case ATTENTION -> new AttentionPooling(spec.hiddenDim(), spec.attentionDim(), false);
            case GATED_ATTENTION -> new AttentionPooling(spec.hiddenDim(), spec.attentionDim(), true);
            case MEAN -> new MeanPooling(spec.hiddenDim());
            case MAX -> new MaxPooling(spec.hiddenDim());
        };
    }

    /** The pooling's parameters, named {@code attention.…}, in a fixed order; none for mean and max. */
    abstract List<NamedParameter> namedParameters();

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(1, hiddenDim), new Shape(inputShapes[0].get(0))};
    }
}
