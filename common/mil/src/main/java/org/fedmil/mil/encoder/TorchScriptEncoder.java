package org.fedmil.mil.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A frozen pretrained image encoder the site runs to turn tiles into feature vectors: a TorchScript module
 * ({@code torch.jit.save}, e.g. an ImageNet ResNet or a pathology foundation model with its head removed) loaded
 * through DJL's PyTorch engine. Inference only: DJL runs TorchScript modules forward; its weights are never
 * updated here. Identified by the SHA-256 of its file, which every site of a federation must share.
 */
public final class TorchScriptEncoder implements AutoCloseable {

    private final Path file;
    private final String sha256;
    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    private TorchScriptEncoder(Path file, String sha256, ZooModel<NDList, NDList> model) {
        this.file = file;
        this.sha256 = sha256;
        this.model = model;
        this.predictor = model.newPredictor();
    }

    /** Loads {@code file}; a file that is not TorchScript is refused naming it and saying how to make one. */
    public static TorchScriptEncoder load(Path file, Device device) {
        if (!Files.isRegularFile(file)) {
            throw new EncoderException(file, "not found or not a file");
        }
        String sha = sha256(file);
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(file.toAbsolutePath()).optEngine("PyTorch").optDevice(device)
                .optTranslator(new NoopTranslator()).build();
        try {
            return new TorchScriptEncoder(file, sha, criteria.loadModel());
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new EncoderException(file, "is not a TorchScript module DJL's PyTorch engine can load (" + rootCause(e)
                    + "); save the encoder with torch.jit.save(torch.jit.trace(model.eval(), example), 'encoder.pt') "
                    + "(docs/site-guide.md, \"Pretrained encoders\")", e);
        }
    }

    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl > 0 ? m.substring(0, nl) : m;
    }

    /** The SHA-256 of an encoder file, lower-case hex: what the federation pins. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                d.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new EncoderException(file, "cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path file() {
        return file;
    }

    public String sha256() {
        return sha256;
    }

    /**
     * Encodes {@code n} tiles given as one float array of shape [n, channels, size, size] (already normalised as
     * the encoder expects); returns [n][features]. The module must return a [n, features] tensor (or one whose
     * trailing dimensions are 1, as a pooled CNN's [n, features, 1, 1]).
     */
    public float[][] encode(float[] tiles, int n, int channels, int size) {
        try (NDManager m = NDManager.newBaseManager(model.getNDManager().getDevice())) {
            NDArray x = m.create(tiles, new Shape(n, channels, size, size));
            NDList out = predictor.predict(new NDList(x));
            NDArray y = out.singletonOrThrow();
            Shape s = y.getShape();
            long features = s.dimension() >= 2 ? s.get(1) : -1;
            for (int d = 2; d < s.dimension(); d++) {
                if (s.get(d) != 1) {
                    features = -1;
                }
            }
            if (s.dimension() < 2 || s.get(0) != n || features < 1) {
                throw new EncoderException(file, "returned a tensor of shape " + s + " for " + n + " tiles; an "
                        + "encoder must return [tiles, features] (flatten its output, or remove its classification "
                        + "head and pool)");
            }
            float[] flat = y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            float[][] rows = new float[n][(int) features];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, (int) (i * features), rows[i], 0, (int) features);
            }
            return rows;
        } catch (TranslateException e) {
            throw new EncoderException(file, "failed on " + n + " tiles of " + channels + "×" + size + "×" + size
                    + " (" + rootCause(e) + "); check the tile size and channels the encoder was made for", e);
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
