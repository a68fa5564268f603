package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * encoder → pooling → classifier for one bag. Input: instances [n, input_dim]; output: (logit [1],
 * instance weights [n]).
 */
final class MilNetwork extends AbstractMilBlock {

    private final InstanceEncoder encoder;
    private final Pooling pooling;
    private final Linear classifier;
    private final int hiddenDim;

    MilNetwork(InstanceEncoder encoder, Pooling pooling, int hiddenDim) {
        this.encoder = addChildBlock("encoder", encoder);
        this.pooling = addChildBlock("pooling", pooling);
        this.classifier = addChildBlock("classifier", Linear.builder().setUnits(1).build());
        this.hiddenDim = hiddenDim;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList h = encoder.forward(store, inputs, training);
        NDList pooled = pooling.forward(store, h, training);
        NDArray logit = classifier.forward(store, new NDList(pooled.get(0)), training).singletonOrThrow();
        return new NDList(logit.reshape(1), pooled.get(1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(1), new Shape(inputShapes[0].get(0))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder.initialize(manager, dataType, inputShapes);
        Shape embeddings = encoder.getOutputShapes(inputShapes)[0];
        pooling.initialize(manager, dataType, embeddings);
        classifier.initialize(manager, dataType, new Shape(1, hiddenDim));
    }

    /**
     * Each instance scored on its own, as a bag of one: classifier(encoder(x)) per instance, [n]. Pooling a bag of
     * one instance gives that instance's embedding back for every pooling, so this is the same model's opinion of
     * each instance, comparable across mean, max and attention models.
     */
    NDArray instanceLogits(ParameterStore store, NDArray instances) {
        NDArray h = encoder.forward(store, new NDList(instances), false).singletonOrThrow();
        return classifier.forward(store, new NDList(h), false).singletonOrThrow().reshape(-1);
    }

    /** The instance embeddings [n, hidden_dim] alone, without pooling or classifier: for contrastive pretraining. */
    NDArray embed(ParameterStore store, NDArray instances, boolean training) {
        return encoder.forward(store, new NDList(instances), training).singletonOrThrow();
    }

    /** Every parameter under its stable name: encoder, then pooling, then classifier. */
    List<NamedParameter> namedParameters() {
        List<NamedParameter> out = new ArrayList<>(encoder.namedParameters());
        out.addAll(pooling.namedParameters());
        out.addAll(linearParameters("classifier", classifier, true));
        return out;
    }
}
