package org.fedmil.data.tiles;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;

/**
 * One decoded page, read a tile at a time as 1 (grey) or 3 (R, G, B) planes of values in [0, 1]. Grey and RGB
 * images with 8-16-bit integer samples are read from their own samples (16-bit ones scaled by
 * {@link HighDepthScale}); everything else (palette, CMYK, YCbCr, float samples) through 8-bit sRGB. Alpha is
 * dropped. An RGB image whose three channels are equal everywhere is grey and read as one channel, so that the
 * background filter's saturation rule (which would take every grey pixel for background) does not apply to it.
 */
final class PagePixels {

    private final BufferedImage image;
    private final Raster raster;
    private final int sourceChannels;
    private final int channels;
    private final int bits;
    private final double offset;
    private final double range;

    private PagePixels(BufferedImage image, Raster raster, int sourceChannels, int bits, double offset,
                       double range) {
        this.image = image;
        this.raster = raster;
        this.sourceChannels = sourceChannels;
        this.bits = bits;
        this.offset = offset;
        this.range = range;
        this.channels = sourceChannels == 3 && sameChannels() ? 1 : sourceChannels;
    }

    static PagePixels of(BufferedImage image, HighDepthScale scale) {
        if (image.getColorModel() instanceof ComponentColorModel cm && integerSamples(image)) {
            int type = cm.getColorSpace().getType();
            int n = cm.getNumColorComponents();
            if ((type == ColorSpace.TYPE_GRAY && n == 1) || (type == ColorSpace.TYPE_RGB && n == 3)) {
                int bits = cm.getComponentSize(0);
                double max = (1L << bits) - 1;
                if (bits <= 8 || scale.kind() == HighDepthScale.Kind.DEPTH) {
                    return new PagePixels(image, image.getRaster(), n, bits, 0, max);
                }
                if (scale.kind() == HighDepthScale.Kind.FIXED) {
                    return new PagePixels(image, image.getRaster(), n, bits, 0, scale.max());
                }
                double[] minMax = minMax(image.getRaster(), n);
                return new PagePixels(image, image.getRaster(), n, bits, minMax[0],
                        Math.max(1, minMax[1] - minMax[0]));
            }
        }
        return new PagePixels(image, null, 3, 8, 0, 255);
    }

    private static boolean integerSamples(BufferedImage image) {
        int t = image.getRaster().getDataBuffer().getDataType();
        return t == DataBuffer.TYPE_BYTE || t == DataBuffer.TYPE_USHORT || t == DataBuffer.TYPE_INT;
    }

    private static double[] minMax(Raster r, int bands) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        int[] row = new int[r.getWidth()];
        for (int b = 0; b < bands; b++) {
            for (int y = 0; y < r.getHeight(); y++) {
                r.getSamples(0, y, r.getWidth(), 1, b, row);
                for (int v : row) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        return new double[] {min, max};
    }

    private boolean sameChannels() {
        int w = image.getWidth();
        for (int y = 0; y < image.getHeight(); y++) {
            float[][] line = read(0, y, w, 1);
            for (int i = 0; i < w; i++) {
                if (line[0][i] != line[1][i] || line[0][i] != line[2][i]) {
                    return false;
                }
            }
        }
        return true;
    }

    int width() {
        return image.getWidth();
    }

    int height() {
        return image.getHeight();
    }

    /** 1 for grey images (including RGB files that hold grey), 3 for colour. */
    int channels() {
        return channels;
    }

    /** Bits per sample of the source, e.g. 8 or 16. */
    int bits() {
        return bits;
    }

    /** The size × size tile at (x, y): {@link #channels()} planes, row-major, values in [0, 1]. */
    float[][] tile(int x, int y, int size) {
        float[][] planes = read(x, y, size, size);
        return channels == 1 && planes.length == 3 ? new float[][] {planes[0]} : planes;
    }

    private float[][] read(int x, int y, int w, int h) {
        float[][] out = new float[sourceChannels][w * h];
        if (raster == null) {
            int[] argb = image.getRGB(x, y, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                out[0][i] = ((argb[i] >> 16) & 0xFF) / 255f;
                out[1][i] = ((argb[i] >> 8) & 0xFF) / 255f;
                out[2][i] = (argb[i] & 0xFF) / 255f;
            }
            return out;
        }
        int[] samples = new int[w * h];
        for (int c = 0; c < sourceChannels; c++) {
            raster.getSamples(x, y, w, h, c, samples);
            for (int i = 0; i < samples.length; i++) {
                out[c][i] = (float) Math.min(1.0, Math.max(0.0, (samples[i] - offset) / range));
            }
        }
        return out;
    }
}
