package org.fedmil.mil.encoder;

import java.util.Locale;

/**
 * How tiles (pixel / 255, CHW) are prepared for a pretrained encoder: as ImageNet models were trained (each RGB
 * channel minus ImageNet's mean, over its standard deviation; grey tiles are repeated into three channels), or
 * left as they are for encoders that normalise inside.
 */
public enum TileNormalisation {
    IMAGENET, NONE;

    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    public static TileNormalisation parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--normalise must be imagenet or none, got '" + name + "'");
        }
    }

    /** Channels the encoder receives: 3 for ImageNet from grey or RGB tiles, else the tiles' own. */
    public int channelsFor(int tileChannels) {
        return this == IMAGENET ? 3 : tileChannels;
    }

    /** Prepares {@code n} tiles of {@code channels} × size² (one after the other) for the encoder. */
    public float[] apply(float[] tiles, int n, int channels, int size) {
        if (this == NONE) {
            return tiles;
        }
        int plane = size * size;
        float[] out = new float[n * 3 * plane];
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < 3; c++) {
                int from = t * channels * plane + (channels == 1 ? 0 : c * plane);
                int to = (t * 3 + c) * plane;
                for (int i = 0; i < plane; i++) {
                    out[to + i] = (tiles[from + i] - MEAN[c]) / STD[c];
                }
            }
        }
        return out;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
