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
 * A small CNN for image tiles: per-bag standardisation, then, for each instance,
 * [conv 3×3 → ReLU → max-pool 2] × 2 → Linear → ReLU to hidden_dim. Instances arrive flattened, [n, C·S·S] in
 * CHW order, and are reshaped here, so bags, pooling and the wire format stay the same for tiles and features.
 *
 * <p>Tiles arrive as pixel / 255, all positive and, for H&amp;E, bright (channel means 0.6–0.85, std 0.1–0.2 on
 * crc-nuclei). Fed in like that, the constant part of every tile dominated each layer's input: at initialisation 18
 * of the 64 embedding units were zero for every tile (dead: no gradient ever reaches them) and the others nearly the
 * same for every tile, so every bag got about the same score. On crc-nuclei cut to 48 tiles a bag (73 bags, Adam
 * 5·10⁻⁴), training then sat at the constant predictor's loss (ln 2 with balanced class weights) for all of 16
 * epochs. Standardising each channel over the bag's tiles (zero mean, unit spread) removes that offset: no unit
 * starts dead, and the same training left ln 2 after 7 epochs and reached a loss of 0.002 by epoch 19. Per bag, not with data-set statistics: it is a function of the bag alone, so every party (sites,
 * the coordinator's held-out set, a site explaining a bag) computes the same thing with no statistics to agree on
 * or send, and a hospital whose scanner or stain makes all its tiles darker or pinker is brought to the same scale
 * as the others, as per-slide stain normalisation does in pathology. What is kept is how tiles differ within the
 * bag, which is what multiple-instance labels are about (one key instance among ordinary ones).
 *
 * <p>Kept small on purpose: sites without a GPU train it on CPU every round. Two blocks of 3×3 convolutions see
 * 10×10-pixel neighbourhoods, enough for nuclei in 27-pixel histology patches and for 28-pixel Fashion-MNIST items.
 */
final class CnnEncoder extends AbstractMilBlock implements InstanceEncoder {

    static final int FILTERS_1 = 16;
    static final int FILTERS_2 = 32;

    /**
     * Smallest per-channel spread a bag is divided by, in pixel / 255 units: a bag of near-uniform tiles (all
     * background) is not blown up into amplified noise. Real tissue and Fashion-MNIST bags have spreads of 0.1–0.35.
     */
    static final float MIN_SPREAD = 0.05f;

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
        x = standardisePerBag(x.reshape(x.getShape().get(0), channels, tileSize, tileSize));
        x = block(store, conv1, x, training);
        x = block(store, conv2, x, training);
        x = x.reshape(x.getShape().get(0), -1);
        return new NDList(Activation.relu(fc.forward(store, new NDList(x), training).singletonOrThrow()));
    }

    /** Each channel to zero mean and unit spread over all tiles of the bag, [n, C, S, S]. */
    static NDArray standardisePerBag(NDArray tiles) {
        int[] overBag = {0, 2, 3};
        // sums, not means: the engine's mean takes one axis only
        float perChannel = tiles.getShape().size() / (float) tiles.getShape().get(1);
        NDArray centred = tiles.sub(tiles.sum(overBag, true).div(perChannel));
        NDArray spread = centred.square().sum(overBag, true).div(perChannel).add(MIN_SPREAD * MIN_SPREAD).sqrt();
        return centred.div(spread);
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
