package org.fedmil.coordinator.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.AtomicFiles;
import org.fedmil.util.Sha256;

/**
 * The coordinator's state folder: every global model (raw tensor bytes plus a JSON header naming tensors,
 * shapes and SHA-256) and the metrics of every round. Every file is written atomically, data before its header,
 * so a header on disk always describes a complete model.
 *
 * <pre>
 * state/
 *   federation.json          the plan this federation runs
 *   models/model-v0003.bin   float32 little-endian, tensors concatenated in header order
 *   models/model-v0003.json  version, SHA-256, model spec, tensor names and shapes
 *   metrics.json             one entry per round (round 0 = the initial model)
 * </pre>
 */
public final class StateStore {

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final List<RoundResult> rounds = new ArrayList<>();

    public StateStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("models"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the coordinator state folder " + dir
                    + "; check state_dir in coordinator.yaml and its permissions", e);
        }
    }

    public Path dir() {
        return dir;
    }

    public synchronized void saveFederation(Object plan) {
        write(dir.resolve("federation.json"), plan);
    }

    public synchronized void saveModel(GlobalModel model) {
        String base = String.format("model-v%04d", model.version());
        try {
            AtomicFiles.write(dir.resolve("models").resolve(base + ".bin"), out -> out.write(model.bytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write global model version " + model.version() + " to " + dir, e);
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("version", model.version());
        header.put("sha256", Sha256.hex(model.sha256()));
        header.put("model", model.spec());
        header.put("bytes", model.bytes().length);
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (TensorSpec s : model.weights().specs()) {
            tensors.add(Map.of("name", s.name(), "shape", s.shape()));
        }
        header.put("tensors", tensors);
        header.put("encoding", "float32 little-endian, row-major, tensors concatenated in this order");
        write(dir.resolve("models").resolve(base + ".json"), header);
    }

    public synchronized void saveRound(RoundResult result) {
        rounds.add(result);
        write(dir.resolve("metrics.json"), rounds);
    }

    private static void write(Path file, Object value) {
        try {
            byte[] json = JSON.writeValueAsBytes(value);
            AtomicFiles.write(file, out -> out.write(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
