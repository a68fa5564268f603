package org.fedmil.mil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.Map;
import org.fedmil.mil.data.TileFormat;

/**
 * A pretrained image encoder placed in front of a feature model's instance encoder, part of which trains with the
 * MIL head: tiles [n, channels·size²] (pixel / 255, CHW) → features [n, width]. Its {@link #trainable()} parameters
 * become tensors of the MIL model ({@code encoder.backbone.<name>}) that travel, are averaged and are saved like
 * the head's; the rest of it stays as the file that every party loads.
 */
public interface Backbone extends AutoCloseable {

    /** The tiles it reads. */
    TileFormat tiles();

    /** Features per tile: the feature model's input_dim. */
    int featureWidth();

    /**
     * The features of {@code tiles} [n, channels·size²], attached to the manager of {@code tiles}. With
     * {@code training}, the engine records the graph through the trainable parameters, for a backward pass.
     */
    NDArray features(NDArray tiles, boolean training);

    /** The parameters that train, by their name in the encoder file, in the file's order; never empty. */
    Map<String, Parameter> trainable();

    @Override
    void close();
}
