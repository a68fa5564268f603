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
import java.nio.ByteBuffer;
import java.util.List;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelFileWriter;
import org.fedmil.site.agent.DownloadSink;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
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
        Map<String, String> metadata = metadata(federationId, model.version(), model.sha256(), task, round, block);
        try {
            ModelFile.write(file, spec, model.weights(), metadata);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            log.warn("could not keep global model v{} at {}: {}; training goes on, but 'fedmil site explain' will "
                    + "not see this version", model.version(), file, e.getMessage());
            return false;
        }
        kept(model.version(), model.sha256());
        return true;
    }

    /** Whether the file holds global model {@code version} with these tensor bytes' SHA-256, as written here. */
    public boolean holds(long version, byte[] sha256) {
        return version == keptVersion && keptSha256 != null && MessageDigest.isEqual(sha256, keptSha256);
    }

    private void kept(long version, byte[] sha256) {
        keptVersion = version;
        keptSha256 = sha256.clone();
        log.info("kept global model v{} at {}", version, file);
    }

    private static Map<String, String> metadata(String federationId, long version, byte[] sha256, String task,
                                                OptionalInt round,
                                                java.util.Optional<org.fedmil.mil.encoder.FineTunedBlock> block) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("federation_id", federationId);
        metadata.put("model_version", Long.toString(version));
        metadata.put("model_sha256", Sha256.hex(sha256));
        metadata.put("task", task);
        round.ifPresent(r -> metadata.put("round", Integer.toString(r)));
        metadata.put("saved_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        block.ifPresent(b -> metadata.putAll(b.metadata()));
        return metadata;
    }

    /**
     * Keeps global model {@code version} from its download's bytes as they arrive (they are the file's tensor
     * section as they are), so the model is not encoded again to be kept; the file replaces the old one only when the
     * download completed and passed its SHA-256 check. A version already kept gets a sink that keeps nothing; a
     * failure to write is logged, as for {@link #keep}, and leaves the old file.
     */
    public DownloadSink saving(String federationId, ModelSpec spec, long version, byte[] sha256, String task,
                               OptionalInt round, java.util.Optional<org.fedmil.mil.encoder.FineTunedBlock> block) {
        if (version == keptVersion && MessageDigest.isEqual(sha256, keptSha256)) {
            return DownloadSink.NONE;
        }
        Map<String, String> metadata = metadata(federationId, version, sha256, task, round, block);
        return new DownloadSink() {
            private ModelFileWriter writer;

            @Override
            public void begin(List<TensorSpec> tensors) {
                attempt(() -> writer = ModelFileWriter.open(file, spec, tensors, sha256, metadata));
            }

            @Override
            public void accept(ByteBuffer bytes) {
                if (writer != null) {
                    attempt(() -> writer.write(bytes));
                }
            }

            @Override
            public void complete(TensorSet weights) {
                if (writer != null && attempt(() -> writer.commit(weights))) {
                    kept(version, sha256);
                }
            }

            @Override
            public void close() {
                if (writer != null) {
                    writer.close();
                }
            }

            private boolean attempt(Runnable step) {
                try {
                    step.run();
                    return true;
                } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
                    log.warn("could not keep global model v{} at {}: {}; training goes on, but 'fedmil site explain' "
                            + "will not see this version", version, file, e.getMessage());
                    close();
                    writer = null;
                    return false;
                }
            }
        };
    }
}
