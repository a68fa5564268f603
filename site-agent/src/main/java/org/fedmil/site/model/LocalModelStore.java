package org.fedmil.site.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the latest global model the agent downloaded as {@code <state_dir>/global-model.fedmil}, so that the
 * site can explain predictions offline ({@code fedmil site explain}) and its tools can load the model without
 * the coordinator. Written atomically, once per new model version; the file never leaves the site.
 */
public final class LocalModelStore {

    private static final Logger log = LoggerFactory.getLogger(LocalModelStore.class);

    public static final String GLOBAL_MODEL_FILE = "global-model" + ModelFile.EXTENSION;

    private final Path file;
    private long keptVersion = -1;
    private byte[] keptSha256;

    /** Creates {@code stateDir} if needed, so that a site that cannot write there finds out at start. */
    public LocalModelStore(Path stateDir) {
        Objects.requireNonNull(stateDir, "stateDir");
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the site state folder " + stateDir + " (" + e
                    + "); set state_dir in site.yaml to a folder the agent's user can write", e);
        }
        this.file = globalModelFile(stateDir);
    }

    /** Where a site with this state folder keeps its latest global model. */
    public static Path globalModelFile(Path stateDir) {
        return stateDir.resolve(GLOBAL_MODEL_FILE);
    }

    public Path file() {
        return file;
    }

    /**
     * Keeps {@code model} unless this version is the one already kept. The metadata records federation_id,
     * model_version, model_sha256 (of the tensor bytes, as the coordinator announced it), task (what the model
     * was downloaded for: "train" or "evaluate"), round (the training round, for "train") and saved_at.
     *
     * <p>A failure to write is logged, not thrown: the local copy is for the site's own use and must not stop
     * the federation's training.
     *
     * @return true when the file was written
     */
    public boolean keep(String federationId, ModelSpec spec, CoordinatorClient.DownloadedModel model,
                        String task, OptionalInt round) {
        return keep(federationId, spec, model, task, round, java.util.Optional.empty());
    }

    /** As above, for a model whose encoder {@code block} was fine-tuned: the file records the block too. */
    public boolean keep(String federationId, ModelSpec spec, CoordinatorClient.DownloadedModel model,
                        String task, OptionalInt round,
                        java.util.Optional<org.fedmil.mil.encoder.FineTunedBlock> block) {
        if (model.version() == keptVersion && MessageDigest.isEqual(model.sha256(), keptSha256)) {
            return false;
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("federation_id", federationId);
        metadata.put("model_version", Long.toString(model.version()));
        metadata.put("model_sha256", Sha256.hex(model.sha256()));
        metadata.put("task", task);
        round.ifPresent(r -> metadata.put("round", Integer.toString(r)));
        metadata.put("saved_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        block.ifPresent(b -> metadata.putAll(b.metadata()));
        try {
            ModelFile.write(file, spec, model.weights(), metadata);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            log.warn("could not keep global model v{} at {}: {}; training goes on, but 'fedmil site explain' will "
                    + "not see this version", model.version(), file, e.getMessage());
            return false;
        }
        keptVersion = model.version();
        keptSha256 = model.sha256().clone();
        log.info("kept global model v{} at {}", model.version(), file);
        return true;
    }
}
