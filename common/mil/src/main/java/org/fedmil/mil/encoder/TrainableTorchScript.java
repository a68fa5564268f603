package org.fedmil.mil.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Backbone;

/**
 * A TorchScript encoder of which one block trains: loaded through DJL's PyTorch engine with {@code trainParam},
 * which gives its parameters by name as trainable tensors; those whose name starts with the trainable prefix keep
 * their gradients, all others are frozen. DJL runs a TorchScript module's {@code forward} (and any method the file
 * exports) but cannot call one of its submodules, so the frozen prefix is not split off and cached: the whole
 * encoder runs forward for every tile, and backpropagation stops where the frozen parameters begin. The module
 * stays in eval mode throughout (batch-norm statistics fixed, dropout off), so buffers, which are not federated,
 * stay the same at every site.
 */
public final class TrainableTorchScript implements Backbone {

    private final Path file;
    private final String sha256;
    private final TileFormat tiles;
    private final TileNormalisation normalisation;
    private final ZooModel<NDList, NDList> model;
    private final PtSymbolBlock module;
    private final Map<String, Parameter> trainable;
    private final String prefix;
    private final int frozen;
    private final int featureWidth;

    private TrainableTorchScript(Path file, String sha256, TileFormat tiles, TileNormalisation normalisation,
                                 ZooModel<NDList, NDList> model, Map<String, Parameter> trainable, String prefix,
                                 int frozen) {
        this.file = file;
        this.sha256 = sha256;
        this.tiles = tiles;
        this.normalisation = normalisation;
        this.model = model;
        this.module = (PtSymbolBlock) model.getBlock();
        this.trainable = Collections.unmodifiableMap(trainable);
        this.prefix = prefix;
        this.frozen = frozen;
        JniUtils.enableInferenceMode(module);
        this.featureWidth = probeWidth();
    }

    /**
     * Loads {@code file} for fine-tuning on {@code tiles} prepared as {@code normalisation} says. The block that
     * trains is {@code fineTuning}'s prefix, or else the last top-level child with parameters.
     *
     * @throws EncoderException naming the file when it is not TorchScript, has no parameters, or none of them
     *                          starts with the prefix (the message lists the top-level blocks there are)
     */
    public static TrainableTorchScript load(Path file, Device device, TileFormat tiles,
                                            TileNormalisation normalisation, EncoderFineTuning fineTuning) {
        if (!fineTuning.enabled()) {
            throw new IllegalArgumentException(EncoderFineTuning.MODE_KEY + " is none: the encoder is run frozen "
                    + "(TorchScriptEncoder), not loaded for training");
        }
        if (!Files.isRegularFile(file)) {
            throw new EncoderException(file, "not found or not a file");
        }
        String sha = TorchScriptEncoder.sha256(file);
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(file.toAbsolutePath()).optEngine("PyTorch").optDevice(device)
                // without it DJL loads the weights as inference tensors, which refuse gradients
                .optOption("trainParam", "true").optTranslator(new NoopTranslator()).build();
        ZooModel<NDList, NDList> model;
        try {
            model = criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new EncoderException(file, "is not a TorchScript module DJL's PyTorch engine can load ("
                    + TorchScriptEncoder.rootCause(e) + "); save the encoder with torch.jit.save(torch.jit.trace("
                    + "model.eval(), example), 'encoder.pt')", e);
        }
        try {
            Map<String, Parameter> all = new LinkedHashMap<>();
            model.getBlock().getDirectParameters().forEach(p -> all.put(p.getKey(), p.getValue()));
            String prefix = fineTuning.trainablePrefix().orElseGet(() -> lastTopLevelChild(file, all));
            Map<String, Parameter> chosen = new LinkedHashMap<>();
            all.forEach((name, p) -> {
                boolean trains = name.startsWith(prefix);
                p.freeze(!trains);
                if (trains) {
                    chosen.put(name, p);
                }
            });
            if (chosen.isEmpty()) {
                throw new EncoderException(file, EncoderFineTuning.PREFIX_KEY + " '" + prefix + "' matches none of "
                        + "its " + all.size() + " parameters; its top-level blocks are " + topLevel(all.keySet())
                        + " (parameter names " + sample(all.keySet()) + "): name one of them, e.g. '"
                        + lastTopLevelChild(file, all) + "'");
            }
            return new TrainableTorchScript(file, sha, tiles, normalisation, model, chosen, prefix,
                    all.size() - chosen.size());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** {@code layer4.} for a ResNet: the first name segment of the last parameter, in module order. */
    private static String lastTopLevelChild(Path file, Map<String, Parameter> all) {
        if (all.isEmpty()) {
            throw new EncoderException(file, "has no parameters DJL can train (a module whose weights were folded "
                    + "into constants, e.g. by torch.jit.freeze, cannot be fine-tuned); use it frozen ("
                    + EncoderFineTuning.MODE_KEY + ": none)");
        }
        String last = List.copyOf(all.keySet()).get(all.size() - 1);
        int dot = last.indexOf('.');
        return dot < 0 ? last : last.substring(0, dot + 1);
    }

    private static List<String> topLevel(Iterable<String> names) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String n : names) {
            int dot = n.indexOf('.');
            out.add(dot < 0 ? n : n.substring(0, dot + 1));
        }
        return new ArrayList<>(out);
    }

    private static String sample(java.util.Collection<String> names) {
        List<String> l = List.copyOf(names);
        return l.size() <= 6 ? l.toString() : l.subList(0, 3) + " … " + l.subList(l.size() - 2, l.size());
    }

    private int probeWidth() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray out = features(m.zeros(new Shape(1, tiles.dim())), false);
            return (int) out.getShape().get(1);
        }
    }

    public Path file() {
        return file;
    }

    /** The parameter-name prefix of the block that trains, as given or as chosen by default. */
    public String trainablePrefix() {
        return prefix;
    }

    /** How many of the file's parameter tensors stay frozen. */
    public int frozenCount() {
        return frozen;
    }

    /** The SHA-256 of the encoder file, which the federation pins. */
    public String sha256() {
        return sha256;
    }

    @Override
    public TileFormat tiles() {
        return tiles;
    }

    @Override
    public int featureWidth() {
        return featureWidth;
    }

    @Override
    public NDArray features(NDArray flatTiles, boolean training) {
        long n = flatTiles.getShape().get(0);
        NDArray x = normalised(flatTiles.reshape(n, tiles.channels(), tiles.size(), tiles.size()));
        // the engine flag, not the module's mode: true records the graph, while the module stays in eval mode
        NDArray y = IValueUtils.forward(module, new NDList(x), training).singletonOrThrow();
        Shape s = y.getShape();
        boolean pooled = s.dimension() >= 2 && s.get(0) == n;
        for (int d = 2; d < s.dimension() && pooled; d++) {
            pooled = s.get(d) == 1;
        }
        if (!pooled) {
            throw new EncoderException(file, "returned a tensor of shape " + s + " for " + n + " tiles; an encoder "
                    + "must return [tiles, features] (flatten its output, or remove its classification head and pool)");
        }
        NDArray out = s.dimension() == 2 ? y : y.reshape(n, s.get(1));
        // a forward pass outside training returns inference tensors; on a thread whose grad mode is on (any thread
        // but the one that started the engine, until a GradientCollector has closed on it) the head's layers would
        // refuse them ("cannot be saved for backward"), so scoring hands the head an ordinary copy
        return training ? out : out.duplicate();
    }

    private NDArray normalised(NDArray x) {
        if (normalisation == TileNormalisation.NONE) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rgb = tiles.channels() == 1 ? x.repeat(1, 3) : x;
        NDArray mean = m.create(new float[] {0.485f, 0.456f, 0.406f}, new Shape(1, 3, 1, 1));
        NDArray std = m.create(new float[] {0.229f, 0.224f, 0.225f}, new Shape(1, 3, 1, 1));
        return rgb.sub(mean).div(std);
    }

    /** The current values of any parameter of the file, frozen or not, by its name there. */
    float[] values(String name) {
        Parameter p = module.getDirectParameters().get(name);
        if (p == null) {
            throw new IllegalArgumentException(file + " has no parameter '" + name + "'");
        }
        return p.getArray().toFloatArray();
    }

    /** Whether the engine computes a gradient for this parameter of the file: false for every frozen one. */
    boolean requiresGradient(String name) {
        return module.getDirectParameters().get(name).getArray().hasGradient();
    }

    @Override
    public Map<String, Parameter> trainable() {
        return trainable;
    }

    @Override
    public void close() {
        model.close();
    }
}
