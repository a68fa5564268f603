package org.fedmil.coordinator.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderFineTuning;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.model.Encoder;

/**
 * The section 'encoder_fine_tune': whether the last block of a pretrained TorchScript encoder trains with the MIL
 * head in the federation's rounds. With mode last_block every site (and the coordinator, for the block's starting
 * values and held-out scoring) runs its copy of {@code encoder} over tiles every round; the model section names the
 * head (an mlp over the encoder's features, whose width is found by running the encoder once).
 *
 * @param mode            none (default: the encoder, if any, stays frozen and its features are cached) or
 *                        last_block
 * @param encoder         the TorchScript file, relative to coordinator.yaml; its SHA-256 is pinned
 * @param trainablePrefix the parameter-name prefix of the block that trains; default the encoder's last top-level
 *                        child with parameters
 * @param tileSize        tiles are read at this size (pixels); default 224
 * @param channels        1 (grey) or 3 (RGB); default 3
 * @param normalise       imagenet (default) or none, as {@code fedmil data features --normalise}
 */
public record EncoderFineTuneSection(String mode, Path encoder, String trainablePrefix, Integer tileSize,
                                     Integer channels, String normalise) {

    public EncoderFineTuneSection {
        mode = mode == null ? EncoderFineTuning.Mode.NONE.configName() : mode;
        tileSize = tileSize == null ? 224 : tileSize;
        channels = channels == null ? 3 : channels;
        normalise = normalise == null ? TileNormalisation.IMAGENET.configName() : normalise;
    }

    /** The default: nothing is fine-tuned. */
    public static final EncoderFineTuneSection NONE = new EncoderFineTuneSection(null, null, null, null, null, null);

    /** The mode and prefix as the encoder loader takes them. */
    public EncoderFineTuning fineTuning() {
        return EncoderFineTuning.parse(mode, trainablePrefix);
    }

    public boolean enabled() {
        return fineTuning().enabled();
    }

    public TileFormat tiles() {
        return new TileFormat(channels, tileSize);
    }

    public TileNormalisation normalisation() {
        return TileNormalisation.parse(normalise);
    }

    /** The encoder file, when fine-tuning. */
    public Optional<Path> encoderFile() {
        return Optional.ofNullable(encoder);
    }

    /** This section with {@code encoder} resolved against the config file's folder. */
    EncoderFineTuneSection resolvedAgainst(Path file) {
        return encoder == null ? this : new EncoderFineTuneSection(mode, ConfigFiles.resolve(file, encoder),
                trainablePrefix, tileSize, channels, normalise);
    }

    /**
     * The checks that need no engine; whether the file is TorchScript and has the block is checked when the
     * coordinator loads it at start.
     */
    void validate(Path file, CoordinatorConfig c) {
        EncoderFineTuning parsed;
        try {
            parsed = fineTuning();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'encoder_fine_tune': " + e.getMessage().replace(
                    EncoderFineTuning.MODE_KEY, "encoder_fine_tune.mode").replace(EncoderFineTuning.PREFIX_KEY,
                    "encoder_fine_tune.trainable_prefix"));
        }
        if (!parsed.enabled()) {
            require(file, encoder == null, "encoder_fine_tune.encoder", encoder, "unset while encoder_fine_tune.mode "
                    + "is none (set mode: last_block to fine-tune that encoder's last block)");
            return;
        }
        require(file, encoder != null && Files.isRegularFile(encoder), "encoder_fine_tune.encoder", encoder,
                "the TorchScript encoder file (torch.jit.save) whose last block the federation fine-tunes, which "
                        + "must exist");
        require(file, c.model().encoderKind() == Encoder.MLP, "model.encoder", c.model().encoder(),
                "mlp with encoder_fine_tune (the head over the pretrained encoder's features)");
        require(file, c.model().featureEncoderSha256().isEmpty(), "model.feature_encoder_sha256",
                c.model().featureEncoderSha256(), "unset with encoder_fine_tune: the encoder file's own SHA-256 is "
                        + "pinned, and sites bring tiles, not cached features");
        require(file, channels == 1 || channels == 3, "encoder_fine_tune.channels", channels, "1 (grey) or 3 (RGB)");
        require(file, tileSize >= TileFormat.MIN_SIZE && tileSize <= TileFormat.MAX_SIZE,
                "encoder_fine_tune.tile_size", tileSize, TileFormat.MIN_SIZE + ".." + TileFormat.MAX_SIZE + " pixels");
        try {
            normalisation();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": key 'encoder_fine_tune.normalise' is '" + normalise
                    + "', expected imagenet or none");
        }
        require(file, c.pretraining().rounds() == 0, "pretraining.rounds", c.pretraining().rounds(),
                "0 with encoder_fine_tune: contrastive pretraining trains the cnn encoder, not a pretrained one");
        require(file, !c.evaluation().any(), "evaluation", c.evaluation().tta(), "no tta or ensemble with "
                + "encoder_fine_tune (their models are built without the encoder file)");
    }

    private static void require(Path file, boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new ConfigException(file + ": key '" + key + "' is " + (value == null ? "unset" : "'" + value + "'")
                    + ", expected " + expected);
        }
    }
}
