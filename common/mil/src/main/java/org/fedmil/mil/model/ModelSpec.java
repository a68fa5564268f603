package org.fedmil.mil.model;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;

/**
 * The architecture every party builds, so that parameter names and shapes agree across sites.
 *
 * @param architecture how instance embeddings are pooled
 * @param encoder      how an instance becomes an embedding: an MLP over feature vectors or a CNN over tiles
 * @param inputDim     values per instance: the feature count of a .npy bag, or channels × tile_size² for tiles
 * @param hiddenDim    width of the instance embedding h
 * @param attentionDim width of the attention network's hidden layer (ignored by mean/max pooling)
 * @param channels     tile channels, 1 (grey) or 3 (RGB); 0 for the MLP encoder
 * @param tileSize     tiles are resized to tile_size × tile_size; 0 for the MLP encoder
 */
public record ModelSpec(Architecture architecture, Encoder encoder, int inputDim, int hiddenDim, int attentionDim,
                        int channels, int tileSize) {

    /** The smallest tile the CNN's two 2×2 poolings leave at least one pixel of. */
    public static final int MIN_TILE_SIZE = 4;

    public ModelSpec {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(encoder, "encoder");
        if (inputDim <= 0 || hiddenDim <= 0 || attentionDim <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: input_dim=" + inputDim
                    + ", hidden_dim=" + hiddenDim + ", attention_dim=" + attentionDim);
        }
        if (encoder == Encoder.CNN) {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("a CNN encoder needs channels 1 (grey) or 3 (RGB), got "
                        + channels);
            }
            if (tileSize < MIN_TILE_SIZE || tileSize > 1024) {
                throw new IllegalArgumentException("tile_size must be " + MIN_TILE_SIZE + "..1024, got " + tileSize);
            }
            if (inputDim != channels * tileSize * tileSize) {
                throw new IllegalArgumentException("input_dim " + inputDim + " must be channels × tile_size² = "
                        + channels * tileSize * tileSize + " for a CNN encoder");
            }
        } else if (channels != 0 || tileSize != 0) {
            throw new IllegalArgumentException("channels and tile_size apply to the cnn encoder only; the mlp "
                    + "encoder reads feature vectors (got channels=" + channels + ", tile_size=" + tileSize + ")");
        }
    }

    /** An MLP encoder over feature vectors of {@code inputDim} values. */
    public ModelSpec(Architecture architecture, int inputDim, int hiddenDim, int attentionDim) {
        this(architecture, Encoder.MLP, inputDim, hiddenDim, attentionDim, 0, 0);
    }

    /** A CNN encoder over {@code channels} × {@code tileSize} × {@code tileSize} tiles. */
    public static ModelSpec cnn(Architecture architecture, int channels, int tileSize, int hiddenDim,
                                int attentionDim) {
        return new ModelSpec(architecture, Encoder.CNN, channels * tileSize * tileSize, hiddenDim, attentionDim,
                channels, tileSize);
    }

    /** The tiles this model reads, for the cnn encoder; empty for feature bags. */
    public Optional<TileFormat> tileFormat() {
        return readsTiles() ? Optional.of(new TileFormat(channels, tileSize)) : Optional.empty();
    }

    /** A site or held-out folder opened the way this model reads it: tiles at its format, or feature bags. */
    public BagDataset open(Path dir) {
        return readsTiles() ? BagDataset.load(dir, new TileFormat(channels, tileSize)) : BagDataset.load(dir);
    }

    /** True when instances are image tiles rather than feature vectors. */
    public boolean readsTiles() {
        return encoder == Encoder.CNN;
    }

    @Override
    public String toString() {
        return architecture.configName() + "/" + encoder.configName()
                + (readsTiles() ? "(" + channels + "×" + tileSize + "×" + tileSize + ")" : "(" + inputDim + ")")
                + " hidden " + hiddenDim + (architecture == Architecture.ATTENTION
                || architecture == Architecture.GATED_ATTENTION ? " attention " + attentionDim : "");
    }
}
