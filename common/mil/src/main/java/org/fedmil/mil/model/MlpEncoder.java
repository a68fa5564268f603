package org.fedmil.mil.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/** Linear(input_dim → hidden_dim) + ReLU, applied to each instance of a feature bag independently. */
final class MlpEncoder extends AbstractMilBlock implements InstanceEncoder {

    private final int hiddenDim;
    private final Linear linear;

    MlpEncoder(int hiddenDim) {
        this.hiddenDim = hiddenDim;
        this.linear = addChildBlock("linear", Linear.builder().setUnits(hiddenDim).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList projected = linear.forward(store, inputs, training);
        return new NDList(Activation.relu(projected.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), hiddenDim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        linear.initialize(manager, dataType, inputShapes);
    }

    @Override
    public List<NamedParameter> namedParameters() {
        // "encoder.0" mirrors PyTorch's nn.Sequential(Linear, ReLU) naming, so checkpoints read naturally there
        return linearParameters("encoder.0", linear, true);
    }
}
