package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * A small CNN for image tiles, applied to each instance independently:
 * [conv 3×3 → ReLU → max-pool 2] × 2 → Linear → ReLU to hidden_dim. Instances arrive flattened, [n, C·S·S] in
 * CHW order, and are reshaped here, so bags, pooling and the wire format stay the same for tiles and features.
 *
 * <p>Kept small on purpose: sites without a GPU train it on CPU every round. Two blocks of 3×3 convolutions see
 * 10×10-pixel neighbourhoods, enough for nuclei in 27-pixel histology patches and for 28-pixel Fashion-MNIST items.
 */
final class CnnEncoder extends AbstractMilBlock implements InstanceEncoder {

    static final int FILTERS_1 = 16;
    static final int FILTERS_2 = 32;

    private final int channels;
    private final int tileSize;
    private final int hiddenDim;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Linear fc;

    CnnEncoder(int channels, int tileSize, int hiddenDim) {
        this.channels = channels;
        this.tileSize = tileSize;
        this.hiddenDim = hiddenDim;
        this.conv1 = addChildBlock("conv1", conv(FILTERS_1));
        this.conv2 = addChildBlock("conv2", conv(FILTERS_2));
        this.fc = addChildBlock("fc", Linear.builder().setUnits(hiddenDim).build());
    }

    private static Conv2d conv(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(filters)
                .build();
    }

    /** Side length after the two 2×2 poolings (floor, as PyTorch's max_pool2d). */
    private int pooledSize() {
        return tileSize / 2 / 2;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        x = x.reshape(x.getShape().get(0), channels, tileSize, tileSize);
        x = block(store, conv1, x, training);
        x = block(store, conv2, x, training);
        x = x.reshape(x.getShape().get(0), -1);
        return new NDList(Activation.relu(fc.forward(store, new NDList(x), training).singletonOrThrow()));
    }

    private static NDArray block(ParameterStore store, Conv2d conv, NDArray x, boolean training) {
        NDArray y = Activation.relu(conv.forward(store, new NDList(x), training).singletonOrThrow());
        return Pool.maxPool2d(y, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), hiddenDim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv1.initialize(manager, dataType, new Shape(1, channels, tileSize, tileSize));
        int half = tileSize / 2;
        conv2.initialize(manager, dataType, new Shape(1, FILTERS_1, half, half));
        int pooled = pooledSize();
        fc.initialize(manager, dataType, new Shape(1, (long) FILTERS_2 * pooled * pooled));
    }

    @Override
    public List<NamedParameter> namedParameters() {
        List<NamedParameter> out = new ArrayList<>();
        out.addAll(convParameters("encoder.conv1", conv1));
        out.addAll(convParameters("encoder.conv2", conv2));
        out.addAll(linearParameters("encoder.fc", fc, true));
        return out;
    }

    private static List<NamedParameter> convParameters(String prefix, Conv2d conv) {
        return List.of(
                new NamedParameter(prefix + ".weight", conv.getDirectParameters().get("weight"),
                        NamedParameter.Init.GLOROT_UNIFORM),
                new NamedParameter(prefix + ".bias", conv.getDirectParameters().get("bias"),
                        NamedParameter.Init.ZEROS));
    }
}
