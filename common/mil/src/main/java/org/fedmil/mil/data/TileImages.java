package org.fedmil.mil.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image tile (PNG or JPEG, via ImageIO) into the values a tile bag holds for it: {@code channels}
 * planes of {@code size × size} floats in [0, 1] (pixel / 255), channel-major (CHW).
 *
 * <ul>
 *   <li>Colour: grey input read as 3 channels is replicated; colour input read as 1 channel becomes its
 *       luminance 0.299 R + 0.587 G + 0.114 B; alpha is dropped (not composited). Palette, 1-8-bit and 16-bit
 *       images are converted first: colour and palette images to 8-bit sRGB (as {@code TYPE_INT_RGB}), grey
 *       images keep their own samples scaled by their bit depth (16-bit grey v becomes v / 65535).</li>
 *   <li>Size: an image that is not {@code size × size} is resized to it, each channel separately, with the
 *       bilinear (triangle) filter on pixel centres; when shrinking, the filter widens to the scale factor
 *       so every source pixel contributes (as Pillow's and torchvision's antialiased bilinear resize do).
 *       A uniform image stays uniform; an image already at the size is not resampled.</li>
 * </ul>
 * Truncated or corrupt files are refused, never filled in: a decoder warning (e.g. JPEG's "premature end of
 * file") counts as an error.
 */
public final class TileImages {

    /** File name endings of tiles, compared case-insensitively. */
    public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    private TileImages() {
    }

    /** Whether a file of this name in a bag folder is a tile: a PNG/JPEG ending and not hidden (dot files). */
    public static boolean isTileName(String fileName) {
        if (fileName.startsWith(".")) {
            return false;
        }
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String ext : EXTENSIONS) {
            if (lower.endsWith(ext) && lower.length() > ext.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Decodes {@code file} to {@code format.dim()} values.
     *
     * @throws BagDataException naming the file if it is missing, not an image or cannot be decoded completely
     */
    public static float[] read(Path file, TileFormat format) {
        float[] out = new float[format.dim()];
        read(file, format, out, 0);
        return out;
    }

    /** As {@link #read(Path, TileFormat)}, writing into {@code out} from {@code offset}. */
    static void read(Path file, TileFormat format, float[] out, int offset) {
        BufferedImage image = decode(file);
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] source = planes(image);
        float[][] channels;
        if (format.channels() == 1) {
            channels = new float[][] {source.length == 1 ? source[0] : luminance(source)};
        } else {
            channels = source.length == 3 ? source : new float[][] {source[0], source[0], source[0]};
        }
        int size = format.size();
        int plane = size * size;
        float[] previous = null;
        float[] resized = null;
        for (int c = 0; c < channels.length; c++) {
            if (channels[c] != previous) { // replicated grey is resized once
                previous = channels[c];
                resized = (w == size && h == size) ? channels[c] : resize(channels[c], w, h, size);
            }
            System.arraycopy(resized, 0, out, offset + c * plane, plane);
        }
    }

    private static BufferedImage decode(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BagDataException(file, Files.isSymbolicLink(file)
                    ? "is a broken link (its target does not exist); restore the target or remove the link"
                    : "does not exist or is not a regular file");
        }
        List<String> warnings = new ArrayList<>();
        BufferedImage image;
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BagDataException(file, "is not a PNG or JPEG image (no image decoder recognises its "
                        + "content); the file is corrupt or not an image: replace it or remove it from the bag");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (BagDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BagDataException(file, "cannot be decoded (" + describe(e) + "); the image is corrupt or "
                    + "truncated (interrupted copy?): copy it again or remove it from the bag", e);
        }
        if (!warnings.isEmpty()) {
            throw new BagDataException(file, "is damaged: the decoder reported '" + warnings.get(0) + "'; the "
                    + "image is corrupt or truncated (interrupted copy?): copy it again or remove it from the bag");
        }
        if (image == null || image.getWidth() <= 0 || image.getHeight() <= 0) {
            throw new BagDataException(file, "decodes to an empty image; replace it or remove it from the bag");
        }
        return image;
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null && s.length() < 300; t = t.getCause()) {
            if (s.length() > 0) {
                s.append(": ");
            }
            s.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
        return s.toString();
    }

    /** The image as 1 (grey) or 3 (R, G, B) planes of values in [0, 1], alpha dropped. */
    private static float[][] planes(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getNumColorComponents() == 1
                && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            Raster raster = image.getRaster();
            double max = (1L << cm.getComponentSize(0)) - 1;
            float[] grey = new float[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    grey[y * w + x] = (float) (raster.getSample(x, y, 0) / max);
                }
            }
            return new float[][] {grey};
        }
        // Everything else (RGB, palette, other colour spaces) through 8-bit sRGB, i.e. TYPE_INT_RGB.
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        float[][] rgb = new float[3][w * h];
        for (int i = 0; i < argb.length; i++) {
            rgb[0][i] = ((argb[i] >> 16) & 0xFF) / 255f;
            rgb[1][i] = ((argb[i] >> 8) & 0xFF) / 255f;
            rgb[2][i] = (argb[i] & 0xFF) / 255f;
        }
        return rgb;
    }

    private static float[] luminance(float[][] rgb) {
        float[] y = new float[rgb[0].length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (0.299 * rgb[0][i] + 0.587 * rgb[1][i] + 0.114 * rgb[2][i]);
        }
        return y;
    }

    /** Resizes a w × h plane to size × size: separable triangle filter, widened by the scale when shrinking. */
    static float[] resize(float[] src, int w, int h, int size) {
        Filter fx = Filter.of(w, size);
        Filter fy = Filter.of(h, size);
        float[] rows = new float[h * size];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < size; x++) {
                double acc = 0;
                int start = fx.start[x];
                double[] k = fx.weights[x];
                for (int j = 0; j < k.length; j++) {
                    acc += k[j] * src[y * w + start + j];
                }
                rows[y * size + x] = (float) acc;
            }
        }
        float[] out = new float[size * size];
        for (int y = 0; y < size; y++) {
            int start = fy.start[y];
            double[] k = fy.weights[y];
            for (int x = 0; x < size; x++) {
                double acc = 0;
                for (int j = 0; j < k.length; j++) {
                    acc += k[j] * rows[(start + j) * size + x];
                }
                out[y * size + x] = (float) Math.min(1.0, Math.max(0.0, acc));
            }
        }
        return out;
    }

    /** For each output pixel, the first source pixel it reads and the normalised weights of its neighbours. */
    private record Filter(int[] start, double[][] weights) {

        static Filter of(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(1.0, scale);
            double support = filterScale; // the triangle has radius 1, stretched by filterScale
            int[] start = new int[out];
            double[][] weights = new double[out][];
            for (int i = 0; i < out; i++) {
                double centre = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(centre - support + 0.5));
                int hi = Math.min(in, (int) Math.floor(centre + support + 0.5));
                double[] k = new double[Math.max(1, hi - lo)];
                double total = 0;
                for (int j = 0; j < hi - lo; j++) {
                    double t = Math.abs((lo + j + 0.5 - centre) / filterScale);
                    k[j] = t < 1 ? 1 - t : 0;
                    total += k[j];
                }
                if (total <= 0) { // cannot happen for in, out >= 1; kept so a weight is never NaN
                    lo = Math.min(in - 1, (int) centre);
                    k = new double[] {1};
                    total = 1;
                }
                for (int j = 0; j < k.length; j++) {
                    k[j] /= total;
                }
                start[i] = lo;
                weights[i] = k;
            }
            return new Filter(start, weights);
        }
    }
}
