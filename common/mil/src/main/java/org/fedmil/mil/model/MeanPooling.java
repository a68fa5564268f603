package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/** Mean of the instance embeddings; every instance weighs 1/n. */
final class MeanPooling extends Pooling {

    MeanPooling(int hiddenDim) {
        super(hiddenDim);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        long n = h.getShape().get(0);
        NDArray weights = h.getManager().full(new Shape(n), 1f / n).toDevice(h.getDevice(), false);
        return new NDList(h.mean(new int[] {0}, true), weights);
    }

    @Override
    List<NamedParameter> namedParameters() {
        return List.of();
    }
}
