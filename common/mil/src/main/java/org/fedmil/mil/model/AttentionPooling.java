package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * Attention pooling of Ilse, Tomczak and Welling (2018): z = Σ aₖ hₖ with a = softmax over instances of
 * wᵀ tanh(V h), or, gated, wᵀ (tanh(V h) ⊙ sigm(U h)).
 */
final class AttentionPooling extends Pooling {

    private final int attentionDim;
    private final Linear v;
    private final Linear u;
    private final Linear w;

    AttentionPooling(int hiddenDim, int attentionDim, boolean gated) {
        super(hiddenDim);
        this.attentionDim = attentionDim;
        this.v = addChildBlock("V", Linear.builder().setUnits(attentionDim).build());
        this.u = gated ? addChildBlock("U", Linear.builder().setUnits(attentionDim).build()) : null;
        // A bias on w would shift every score equally and cancel in the softmax: it could never learn anything.
        this.w = addChildBlock("w", Linear.builder().setUnits(1).optBias(false).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray h = inputs.singletonOrThrow();
        NDArray hidden = v.forward(store, inputs, training).singletonOrThrow().tanh();
        if (u != null) {
            hidden = hidden.mul(Activation.sigmoid(u.forward(store, inputs, training).singletonOrThrow()));
        }
        NDArray scores = w.forward(store, new NDList(hidden), training).singletonOrThrow();
        NDArray a = scores.softmax(0);
        NDArray z = a.transpose().matMul(h);
        return new NDList(z, a.reshape(-1));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        v.initialize(manager, dataType, inputShapes);
        if (u != null) {
            u.initialize(manager, dataType, inputShapes);
        }
        w.initialize(manager, dataType, new Shape(1, attentionDim));
    }

    @Override
    List<NamedParameter> namedParameters() {
        List<NamedParameter> out = new ArrayList<>(linearParameters("attention.V", v, true));
        if (u != null) {
            out.addAll(linearParameters("attention.U", u, true));
        }
        // w starts at zero, so attention starts uniform (mean pooling) and every instance, the key one included,
        // gets gradient from the first step. A random w can start by all but ignoring the key instances, and then
        // they get too little gradient to ever be noticed: the lesion test problem stayed at AUC 0.6 for one seed.
        out.add(linearParameters("attention.w", w, false).get(0).startingAtZero());
        return out;
    }
}
