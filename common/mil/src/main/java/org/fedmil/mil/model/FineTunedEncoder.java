package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiles → {@link Backbone} features → the feature model's MLP ({@link MlpEncoder}): the instance encoder of a model
 * that fine-tunes part of a pretrained encoder. The MLP keeps the name {@code encoder.0}, so a head trained on the
 * same encoder's cached features has exactly these head tensors and can start fine-tuning.
 */
final class FineTunedEncoder extends AbstractMilBlock implements InstanceEncoder {

    /** Names of the backbone's trainable tensors in the MIL model start with this. */
    static final String BACKBONE = "encoder.backbone.";

    private final Backbone backbone;
    private final MlpEncoder mlp;

    FineTunedEncoder(Backbone backbone, int hiddenDim) {
        this.backbone = backbone;
        this.mlp = addChildBlock("mlp", new MlpEncoder(hiddenDim));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray features = backbone.features(inputs.singletonOrThrow(), training);
        return mlp.forward(store, new NDList(features), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return mlp.getOutputShapes(new Shape[] {new Shape(inputShapes[0].get(0), backbone.featureWidth())});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        mlp.initialize(manager, dataType, new Shape(inputShapes[0].get(0), backbone.featureWidth()));
    }

    @Override
    public List<NamedParameter> namedParameters() {
        List<NamedParameter> out = new ArrayList<>();
        backbone.trainable().forEach((name, p) -> out.add(
                new NamedParameter(BACKBONE + name, p, NamedParameter.Init.PRETRAINED)));
        out.addAll(mlp.namedParameters());
        return out;
    }
}
