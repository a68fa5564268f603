package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/**
 * Element-wise max of the instance embeddings. An instance's weight is the share of embedding dimensions whose
 * max it supplies; a dimension where several instances tie (common after ReLU, at 0) is split between them, so
 * the weights still sum to 1 and do not favour whichever instance happens to come first.
 */
final class MaxPooling extends Pooling {

    MaxPooling(int hiddenDim) {
        super(hiddenDim);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        NDArray z = h.max(new int[] {0}, true);
        NDArray winners = h.eq(z).toType(DataType.FLOAT32, false);
        NDArray shares = winners.div(winners.sum(new int[] {0}, true)).sum(new int[] {1}).div(hiddenDim);
        return new NDList(z, shares);
    }

    @Override
    List<NamedParameter> namedParameters() {
        return List.of();
    }
}
