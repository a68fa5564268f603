package org.fedmil.data.tiles;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/**
 * Writes a tile as PNG: 8-bit grey or RGB, or 16-bit grey for grey sources of more than 8 bits (the tile loader
 * reads 16-bit grey as v / 65535, so the scaled value survives with its precision). 16-bit colour is written as
 * 8-bit RGB, as the loader reads colour through 8-bit sRGB anyway.
 */
public final class TilePng {

    private TilePng() {
    }

    public static void write(Path file, float[][] planes, int size, boolean sixteenBit) throws IOException {
        BufferedImage img;
        if (planes.length == 1) {
            img = new BufferedImage(size, size, sixteenBit ? BufferedImage.TYPE_USHORT_GRAY
                    : BufferedImage.TYPE_BYTE_GRAY);
            WritableRaster r = img.getRaster();
            int max = sixteenBit ? 65535 : 255;
            int[] samples = new int[size * size];
            for (int i = 0; i < samples.length; i++) {
                samples[i] = Math.round(planes[0][i] * max);
            }
            r.setSamples(0, 0, size, size, 0, samples);
        } else {
            img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            WritableRaster r = img.getRaster();
            int[] samples = new int[size * size];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < samples.length; i++) {
                    samples[i] = Math.round(planes[c][i] * 255);
                }
                r.setSamples(0, 0, size, size, c, samples);
            }
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for " + img);
        }
    }
}
