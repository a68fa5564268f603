package org.fedmil.mil.encoder;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;

/**
 * What every party of a federation needs to rebuild a model whose encoder's last block was fine-tuned: which
 * encoder (its file's SHA-256; each party holds its own copy of the file), which block (its parameter-name prefix,
 * resolved by the coordinator so every party trains the same one) and how tiles reach it. The block's weights are
 * tensors of the MIL model ({@link MilModel#BACKBONE_PREFIX}); the encoder's other parameters come from the file.
 *
 * @param encoderSha256   the encoder file's SHA-256, lower-case hex
 * @param trainablePrefix the parameter-name prefix of the block that trains, e.g. {@code layer4.}
 * @param tiles           the tile size and channels bags are read at
 * @param normalisation   how tiles are prepared for the encoder
 */
public record FineTunedBlock(String encoderSha256, String trainablePrefix, TileFormat tiles,
                             TileNormalisation normalisation) {

    /** Metadata keys of a model file whose encoder block was fine-tuned. */
    public static final String META_MODE = "encoder_fine_tune";
    public static final String META_SHA256 = "encoder_sha256";
    public static final String META_PREFIX = "encoder_trainable_prefix";
    public static final String META_TILE_SIZE = "encoder_tile_size";
    public static final String META_CHANNELS = "encoder_channels";
    public static final String META_NORMALISE = "encoder_normalise";

    public FineTunedBlock {
        Objects.requireNonNull(encoderSha256, "encoderSha256");
        Objects.requireNonNull(trainablePrefix, "trainablePrefix");
        Objects.requireNonNull(tiles, "tiles");
        Objects.requireNonNull(normalisation, "normalisation");
        encoderSha256 = encoderSha256.toLowerCase(Locale.ROOT);
        if (!encoderSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("encoder SHA-256 must be 64 hex digits, got '" + encoderSha256 + "'");
        }
        if (trainablePrefix.isBlank()) {
            throw new IllegalArgumentException("the trainable block's prefix is empty");
        }
    }

    /**
     * Loads this party's copy of the encoder for fine-tuning this block.
     *
     * @throws EncoderException naming the file when its SHA-256 is not the federation's (both hashes named), when it
     *                          is not TorchScript, or when no parameter starts with the prefix
     */
    public TrainableTorchScript load(Path file, Device device) {
        String sha = TorchScriptEncoder.sha256(file);
        if (!sha.equalsIgnoreCase(encoderSha256)) {
            throw new EncoderException(file, "has SHA-256 " + sha + " but the model's encoder block was fine-tuned "
                    + "from the encoder with SHA-256 " + encoderSha256 + "; use the consortium's encoder file");
        }
        return TrainableTorchScript.load(file, device, tiles, normalisation,
                new EncoderFineTuning(EncoderFineTuning.Mode.LAST_BLOCK, Optional.of(trainablePrefix)));
    }

    /** A model of {@code head} over tiles, its encoder {@code file} with this block trainable; the caller closes it. */
    public MilModel model(ModelSpec head, Path file, Device device, long seed) {
        return MilModel.createFineTuning(head, load(file, device), seed);
    }

    /**
     * The spec a site or held-out folder is opened with: tiles at this block's format. Only for reading bags; the
     * model itself is {@code head} behind the encoder.
     */
    public ModelSpec readingSpec(ModelSpec head) {
        return ModelSpec.cnn(head.architecture(), tiles.channels(), tiles.size(), head.hiddenDim(),
                head.attentionDim());
    }

    /** The metadata pairs a model file records this block with. */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(META_MODE, EncoderFineTuning.Mode.LAST_BLOCK.configName());
        m.put(META_SHA256, encoderSha256);
        m.put(META_PREFIX, trainablePrefix);
        m.put(META_TILE_SIZE, Integer.toString(tiles.size()));
        m.put(META_CHANNELS, Integer.toString(tiles.channels()));
        m.put(META_NORMALISE, normalisation.configName());
        return m;
    }

    /**
     * The block a model file's metadata records; empty for a model whose encoder was not fine-tuned.
     *
     * @throws IllegalArgumentException when the metadata names fine-tuning but a key is missing or unusable
     */
    public static Optional<FineTunedBlock> fromMetadata(Map<String, String> metadata) {
        if (!metadata.containsKey(META_MODE)) {
            return Optional.empty();
        }
        for (String k : new String[] {META_SHA256, META_PREFIX, META_TILE_SIZE, META_CHANNELS, META_NORMALISE}) {
            if (!metadata.containsKey(k)) {
                throw new IllegalArgumentException("metadata '" + META_MODE + "' is set but '" + k + "' is missing");
            }
        }
        try {
            return Optional.of(new FineTunedBlock(metadata.get(META_SHA256), metadata.get(META_PREFIX),
                    new TileFormat(Integer.parseInt(metadata.get(META_CHANNELS)),
                            Integer.parseInt(metadata.get(META_TILE_SIZE))),
                    TileNormalisation.parse(metadata.get(META_NORMALISE))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metadata '" + META_TILE_SIZE + "'/'" + META_CHANNELS
                    + "' are not integers: " + e.getMessage(), e);
        }
    }

    /** "block 'layer4.' of encoder 1a2b…", for consoles and errors. */
    public String describe() {
        return "block '" + trainablePrefix + "' of encoder " + encoderSha256 + " (tiles " + tiles + ", "
                + normalisation.configName() + ")";
    }
}
