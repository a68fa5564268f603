package org.fedmil.data.arrays;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.BagDataException;
import org.fedmil.mil.data.NpyArray;
import org.fedmil.mil.data.Npz;
import org.fedmil.mil.data.TileFormat;

/**
 * An image data set as arrays: images {@code [N, H, W]} (grey) or {@code [N, H, W, C]} (C = 1 or 3), uint8 or
 * float (values in [0, 1], scaled by 255, or in [0, 255]), and integer class labels {@code [N]}, from .npy files
 * or arrays inside an .npz. Checked as a whole when read; pixels are then read as 8-bit values.
 */
public final class ImageArray {

    private final NpyArray images;
    private final int[] classes;
    private final int height;
    private final int width;
    private final int channels;
    private final double scale;

    private ImageArray(NpyArray images, int[] classes, double scale) {
        this.images = images;
        this.classes = classes;
        this.height = (int) images.shape()[1];
        this.width = (int) images.shape()[2];
        this.channels = images.shape().length == 4 ? (int) images.shape()[3] : 1;
        this.scale = scale;
    }

    /**
     * Reads images and labels. {@code labelsFile} empty: the labels are array {@code labelsArray} of the images'
     * .npz. An array name is used only for .npz files.
     */
    public static ImageArray read(Path imagesFile, String imagesArray, Optional<Path> labelsFile,
                                  String labelsArray) {
        try {
            NpyArray images = load(imagesFile, imagesArray);
            Path lf = labelsFile.orElse(imagesFile);
            if (labelsFile.isEmpty() && !isNpz(imagesFile)) {
                throw new SourceDataException(imagesFile, "is a .npy file, which holds one array; give the labels "
                        + "with --labels FILE (.npy or .npz)");
            }
            NpyArray labels = load(lf, labelsArray);
            checkImages(images);
            int[] classes = classes(labels, images.shape()[0]);
            return new ImageArray(images, classes, scale(images));
        } catch (BagDataException e) {
            throw new SourceDataException(null, e.getMessage(), e);
        }
    }

    private static boolean isNpz(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz");
    }

    private static NpyArray load(Path file, String array) {
        return isNpz(file) ? Npz.read(file, array) : NpyArray.read(file);
    }

    private static void checkImages(NpyArray a) {
        long[] s = a.shape();
        boolean shapeOk = (s.length == 3 || (s.length == 4 && (s[3] == 1 || s[3] == 3)));
        if (!shapeOk) {
            throw new SourceDataException(null, a.source() + ": images have shape " + a.shapeText() + "; expected "
                    + "[N, H, W] (grey) or [N, H, W, C] with C = 1 or 3 (for RGBA drop alpha: images[..., :3]; for "
                    + "channels-first data use images.transpose(0, 2, 3, 1))");
        }
        if (s[0] < 1 || s[1] < TileFormat.MIN_SIZE || s[2] < TileFormat.MIN_SIZE) {
            throw new SourceDataException(null, a.source() + ": images have shape " + a.shapeText() + "; expected "
                    + "at least one image of at least " + TileFormat.MIN_SIZE + "×" + TileFormat.MIN_SIZE + " pixels");
        }
        if (a.isInteger() && !a.descr().equals("|u1")) {
            throw new SourceDataException(null, a.source() + ": images are " + a.typeName() + "; expected uint8 or "
                    + "float (convert with images.astype(numpy.uint8) if the values are 0-255)");
        }
    }

    /** 1 for uint8 and float data in [0, 255]; 255 for float data in [0, 1]. */
    private static double scale(NpyArray a) {
        if (a.isInteger()) {
            return 1;
        }
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (long i = 0, n = a.count(); i < n; i++) {
            double v = a.get(i);
            if (!Double.isFinite(v)) {
                throw new SourceDataException(null, a.source() + ": value #" + i + " is " + v + "; images must be "
                        + "finite numbers");
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (min >= 0 && max <= 1) {
            return 255;
        }
        if (min >= 0 && max <= 255) {
            return 1;
        }
        throw new SourceDataException(null, a.source() + ": float images range from " + min + " to " + max
                + "; expected values in [0, 1] or [0, 255] (rescale, e.g. (x - x.min()) / (x.max() - x.min()))");
    }

    private static int[] classes(NpyArray labels, long n) {
        long[] s = labels.shape();
        boolean column = s.length == 2 && s[1] == 1;
        if (!(s.length == 1 || column) || s[0] != n) {
            throw new SourceDataException(null, labels.source() + ": labels have shape " + labels.shapeText()
                    + "; expected one class per image, shape (" + n + ",)");
        }
        int[] classes = new int[(int) n];
        for (int i = 0; i < n; i++) {
            double v = labels.get(i);
            if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
                throw new SourceDataException(null, labels.source() + ": label #" + i + " is " + v + "; labels must be "
                        + "class numbers 0, 1, 2, ... (for one-hot labels use labels.argmax(axis=1))");
            }
            classes[i] = (int) v;
        }
        return classes;
    }

    public int count() {
        return classes.length;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channels() {
        return channels;
    }

    public int classOf(int image) {
        return classes[image];
    }

    /** The classes that occur, in order. */
    public TreeSet<Integer> classesPresent() {
        TreeSet<Integer> s = new TreeSet<>();
        for (int c : classes) {
            s.add(c);
        }
        return s;
    }

    /** Image {@code i} as 8-bit samples, row-major, channels interleaved (H × W × C). */
    public int[] pixels(int i) {
        int n = height * width * channels;
        int[] out = new int[n];
        long base = (long) i * n;
        for (int k = 0; k < n; k++) {
            out[k] = (int) Math.round(Math.min(255, Math.max(0, images.get(base + k) * scale)));
        }
        return out;
    }

    /** Where the images came from, for the manifest. */
    public String source() {
        return images.source() + " " + images.typeName() + " " + images.shapeText();
    }
}
