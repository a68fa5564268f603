package org.fedmil.mil.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A binary bag classifier: instance encoder → pooling ({@link Architecture}) → Linear(hidden_dim → 1) logit.
 * The probability that a bag is positive is sigmoid(logit).
 *
 * <p>Parameters live in native memory owned by this model until {@link #close()}. Not thread-safe: one thread
 * trains or predicts at a time.
 */
public final class MilModel implements AutoCloseable {

    /** One bag's forward pass: its logit [1] and its instance weights [n] (see {@link #attentionWeights}). */
    public record BagOutput(NDArray logit, NDArray instanceWeights) {
    }

    /** The tensors of a fine-tuned encoder block are named with this prefix, then their name in the encoder file. */
    public static final String BACKBONE_PREFIX = FineTunedEncoder.BACKBONE;

    private final ModelSpec spec;
    private final NDManager manager;
    private final MilNetwork network;
    private final ParameterStore store;
    private final List<NamedParameter> parameters;
    private final List<TensorSpec> specs;
    /** Null unless part of a pretrained encoder trains with this model ({@link #createFineTuning}). */
    private final Backbone backbone;

    private MilModel(ModelSpec spec, NDManager manager, MilNetwork network, Backbone backbone) {
        this.spec = spec;
        this.manager = manager;
        this.network = network;
        this.backbone = backbone;
        // copy=false: the store hands out the parameter arrays themselves, so in-place updates are seen at once
        this.store = new ParameterStore(manager, false);
        this.parameters = network.namedParameters();
        List<TensorSpec> s = new ArrayList<>(parameters.size());
        for (NamedParameter p : parameters) {
            s.add(new TensorSpec(p.name(), p.parameter().getArray().getShape().getShape()));
        }
        this.specs = Collections.unmodifiableList(s);
    }

    /**
     * Builds a model on {@code device} with Glorot-uniform weights drawn from {@code seed}, zero biases and a zero
     * attention-score layer (so attention starts uniform). The values depend only on the spec, the seed and each
     * tensor's name, never on the engine's RNG, so every party that creates a model from the same spec and seed
     * gets bit-identical weights.
     */
    public static MilModel create(ModelSpec spec, Device device, long seed) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(device, "device");
        NDManager manager = NDManager.newBaseManager(device);
        try {
            MilNetwork network = new MilNetwork(encoderOf(spec), Pooling.of(spec), spec.hiddenDim());
            // zeros are cheap placeholders: the real values come from our own seeded RNG below
            network.setInitializer(Initializer.ZEROS, (Parameter p) -> true);
            network.initialize(manager, DataType.FLOAT32, new Shape(1, spec.inputDim()));
            MilModel model = new MilModel(spec, manager, network, null);
            model.initialiseFromSeed(seed);
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A model over image tiles whose instance encoder is {@code backbone} followed by {@code head}'s MLP: the
     * backbone's trainable parameters train with the head and are tensors of this model, named
     * {@code encoder.backbone.<name in the encoder file>}, starting from the file's values; the head (a feature
     * spec, {@code mlp} with input_dim = the backbone's feature width) starts as {@link #create} would start it.
     * The model owns the backbone from here on and closes it.
     */
    public static MilModel createFineTuning(ModelSpec head, Backbone backbone, long seed) {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(backbone, "backbone");
        if (head.encoder() != Encoder.MLP || head.inputDim() != backbone.featureWidth()) {
            backbone.close();
            throw new IllegalArgumentException("a fine-tuned encoder feeds an mlp head with input_dim = its "
                    + backbone.featureWidth() + " features per tile; got " + head);
        }
        Device device = backbone.trainable().values().iterator().next().getArray().getDevice();
        NDManager manager = NDManager.newBaseManager(device);
        try {
            MilNetwork network = new MilNetwork(new FineTunedEncoder(backbone, head.hiddenDim()), Pooling.of(head),
                    head.hiddenDim());
            network.setInitializer(Initializer.ZEROS, (Parameter p) -> true);
            network.initialize(manager, DataType.FLOAT32, new Shape(1, backbone.tiles().dim()));
            MilModel model = new MilModel(head, manager, network, backbone);
            model.initialiseFromSeed(seed);
            return model;
        } catch (RuntimeException e) {
            manager.close();
            backbone.close();
            throw e;
        }
    }

    /** Values per instance this model reads: the spec's input_dim, or a fine-tuned encoder's tile size. */
    private int instanceDim() {
        return backbone == null ? spec.inputDim() : backbone.tiles().dim();
    }

    private static InstanceEncoder encoderOf(ModelSpec spec) {
        return switch (spec.encoder()) {
            case MLP -> new MlpEncoder(spec.hiddenDim());
            case CNN -> new CnnEncoder(spec.channels(), spec.tileSize(), spec.hiddenDim());
        };
    }

    /** {@link #create(ModelSpec, Device, long)} on the engine's default device (a GPU if the engine has one). */
    public static MilModel create(ModelSpec spec, long seed) {
        return create(spec, Engine.getInstance().defaultDevice(), seed);
    }

    private void initialiseFromSeed(long seed) {
        for (NamedParameter p : parameters) {
            if (p.init() == NamedParameter.Init.PRETRAINED) {
                continue;
            }
            long[] shape = p.parameter().getArray().getShape().getShape();
            float[] values = InitialWeights.values(p.name(), shape, p.init() == NamedParameter.Init.GLOROT_UNIFORM,
                    seed);
            p.parameter().getArray().set(FloatBuffer.wrap(values));
        }
    }

    public ModelSpec spec() {
        return spec;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Names and shapes of {@link #weights()}, without copying values. */
    public List<TensorSpec> weightSpecs() {
        return specs;
    }

    /** A copy of every parameter, in the fixed order of {@link #weightSpecs()}. */
    public TensorSet weights() {
        requireOpen();
        List<NamedTensor> out = new ArrayList<>(parameters.size());
        for (NamedParameter p : parameters) {
            NDArray array = p.parameter().getArray();
            out.add(new NamedTensor(p.name(), array.getShape().getShape(), array.toFloatArray()));
        }
        return new TensorSet(out);
    }

    /**
     * Overwrites every parameter. The set must have exactly this model's names and shapes in this model's order;
     * otherwise nothing is changed.
     *
     * @throws IllegalArgumentException naming the first tensor that does not fit
     */
    public void setWeights(TensorSet weights) {
        Objects.requireNonNull(weights, "weights");
        requireOpen();
        requireMatchingSpecs(weights);
        for (NamedParameter p : parameters) {
            p.parameter().getArray().set(FloatBuffer.wrap(weights.get(p.name()).values()));
        }
    }

    private void requireMatchingSpecs(TensorSet weights) {
        ModelSize.requireWeightsOf(spec, specs, weights);
    }

    /** Probability that each bag is positive, in the order given. */
    public float[] predictProbabilities(List<Bag> bags) {
        return score(bags).probabilities();
    }

    /** Each bag's label beside the probability this model gives it, in the order given. */
    public record Scores(int[] labels, float[] probabilities) {
    }

    /**
     * Labels and probabilities in one pass that reads each bag once: a tile data set decodes a bag from disk on
     * every read, so taking the labels in a second pass would decode every bag twice.
     */
    public Scores score(List<Bag> bags) {
        requireOpen();
        int[] labels = new int[bags.size()];
        float[] probabilities = new float[bags.size()];
        for (int i = 0; i < labels.length; i++) {
            Bag bag = bags.get(i);
            labels[i] = bag.label();
            // no GradientCollector is open here, so the engine records no autograd graph
            try (NDManager step = manager.newSubManager()) {
                float logit = forward(instances(bag, step), false).logit().getFloat();
                probabilities[i] = (float) (1.0 / (1.0 + Math.exp(-logit)));
            }
        }
        return new Scores(labels, probabilities);
    }

    /**
     * How much each instance of the bag shaped the bag embedding; the values sum to 1. Attention pooling returns
     * its attention weights, mean pooling 1/n each, max pooling the share of embedding dimensions each instance
     * supplies the max of.
     */
    public float[] attentionWeights(Bag bag) {
        requireOpen();
        try (NDManager step = manager.newSubManager()) {
            return forward(instances(bag, step), false).instanceWeights().toFloatArray();
        }
    }

    /**
     * Each instance's probability of being positive if it were a bag on its own (see
     * {@link MilNetwork#instanceLogits}); an instance-level heat map that works for every pooling.
     */
    public float[] instanceScores(Bag bag) {
        requireOpen();
        try (NDManager step = manager.newSubManager()) {
            return Activation.sigmoid(network.instanceLogits(store, instances(bag, step))).toFloatArray();
        }
    }

    /** AUC, accuracy, sensitivity, specificity and loss of this model on the given bags. */
    public BinaryMetrics evaluate(List<Bag> bags) {
        Scores scores = score(bags);
        return BinaryMetrics.of(scores.labels(), scores.probabilities());
    }

    /**
     * One bag's forward pass. Results are attached to the manager of {@code instances}, so a per-bag sub-manager
     * of {@link #manager()} frees them.
     *
     * @param instances [n, input_dim] on this model's device
     * @param training  true inside a GradientCollector, when the pass will be differentiated
     */
    public BagOutput forward(NDArray instances, boolean training) {
        requireOpen();
        Shape shape = instances.getShape();
        if (shape.dimension() != 2 || shape.get(0) < 1 || shape.get(1) != instanceDim()) {
            throw new IllegalArgumentException("instances must be [n ≥ 1, " + instanceDim() + "], got " + shape);
        }
        NDList out = network.forward(store, new NDList(instances), training);
        return new BagOutput(out.get(0), out.get(1));
    }

    /**
     * The instance encoder's embeddings [n, hidden_dim] of {@code instances} [n, input_dim], without pooling or
     * classifier: what contrastive pretraining trains. Results are attached to the manager of {@code instances}.
     */
    public NDArray embed(NDArray instances, boolean training) {
        requireOpen();
        Shape shape = instances.getShape();
        if (shape.dimension() != 2 || shape.get(0) < 1 || shape.get(1) != instanceDim()) {
            throw new IllegalArgumentException("instances must be [n ≥ 1, " + instanceDim() + "], got " + shape);
        }
        return network.embed(store, instances, training);
    }

    /** A bag's features as an [instances, dim] array owned by {@code owner}. */
    public NDArray instances(Bag bag, NDManager owner) {
        if (bag.dim() != instanceDim()) {
            throw new IllegalArgumentException("bag '" + bag.id() + "' has " + bag.dim()
                    + " features per instance but the model expects " + (backbone == null ? "input_dim="
                    + spec.inputDim() + "; check the dataset against the model spec" : instanceDim()
                    + " (tiles of " + backbone.tiles() + " for its fine-tuned encoder)"));
        }
        return owner.create(bag.features(), new Shape(bag.instances(), bag.dim()));
    }

    /**
     * The manager that owns the parameters. Work with a sub-manager of it: arrays created there are on this
     * model's device and are freed when the sub-manager closes.
     */
    public NDManager manager() {
        requireOpen();
        return manager;
    }

    /** The live parameter arrays by stable name, in {@link #weightSpecs()} order; for optimisers. */
    public Map<String, NDArray> parameterArrays() {
        requireOpen();
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (NamedParameter p : parameters) {
            out.put(p.name(), p.parameter().getArray());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The instance encoder's live parameter arrays ({@link EncoderPart#isEncoder}), in weight-spec order. */
    public Map<String, NDArray> encoderParameterArrays() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        parameterArrays().forEach((name, array) -> {
            if (EncoderPart.isEncoder(name)) {
                out.put(name, array);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    public long parameterCount() {
        long n = 0;
        for (TensorSpec s : specs) {
            n += s.elementCount();
        }
        return n;
    }

    private void requireOpen() {
        if (!manager.isOpen()) {
            throw new IllegalStateException("this MilModel has been closed; create a new one");
        }
    }

    /** Frees the native memory of the parameters. */
    @Override
    public void close() {
        manager.close();
        if (backbone != null) {
            backbone.close();
        }
    }

    @Override
    public String toString() {
        return "MilModel[" + spec + ", " + manager.getDevice() + ", " + parameterCount() + " parameters]";
    }
}
