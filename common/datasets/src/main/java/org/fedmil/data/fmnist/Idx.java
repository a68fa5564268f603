package org.fedmil.data.fmnist;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.fedmil.data.SourceDataException;

/**
 * Reads the gzipped IDX files of MNIST and Fashion-MNIST (LeCun's format: a big-endian magic number whose
 * third byte is the element type, 0x08 = unsigned byte, and fourth the number of dimensions; then each
 * dimension as a big-endian int; then the data).
 */
public final class Idx {

    static final int UBYTE = 0x08;

    /** {@code count} images of {@code rows × cols} unsigned bytes, image after image, row by row. */
    public record Images(int count, int rows, int cols, byte[] pixels) {

        /** Grey value 0..255 of pixel (y, x) of image {@code i}. */
        public int pixel(int i, int y, int x) {
            return pixels[(i * rows + y) * cols + x] & 0xFF;
        }
    }

    private Idx() {
    }

    /** Reads an images file ({@code *-images-idx3-ubyte.gz}): magic 0x00000803. */
    public static Images readImages(Path file) {
        try (DataInputStream in = open(file)) {
            int[] dims = header(file, in, 3);
            if (dims[1] <= 0 || dims[2] <= 0 || (long) dims[0] * dims[1] * dims[2] > Integer.MAX_VALUE - 8) {
                throw new SourceDataException(file, "image shape " + dims[0] + "×" + dims[1] + "×" + dims[2]
                        + " is not usable; the file is damaged: reinstall it");
            }
            byte[] pixels = new byte[dims[0] * dims[1] * dims[2]];
            in.readFully(pixels);
            return new Images(dims[0], dims[1], dims[2], pixels);
        } catch (IOException e) {
            throw damaged(file, e);
        }
    }

    /** Reads a labels file ({@code *-labels-idx1-ubyte.gz}): magic 0x00000801, one byte per image. */
    public static byte[] readLabels(Path file) {
        try (DataInputStream in = open(file)) {
            int[] dims = header(file, in, 1);
            byte[] labels = new byte[dims[0]];
            in.readFully(labels);
            return labels;
        } catch (IOException e) {
            throw damaged(file, e);
        }
    }

    private static DataInputStream open(Path file) {
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new SourceDataException(file, "not found; install the Fashion-MNIST data with 'apt-get install "
                    + FmnistBags.APT_PACKAGE + "' (it puts the files in " + FmnistBags.DEFAULT_SOURCE + ") or "
                    + "point --source at a folder holding the four *-idx*-ubyte.gz files", e);
        } catch (IOException e) {
            throw new SourceDataException(file, "cannot be read: " + e, e);
        }
        try {
            return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
        } catch (IOException e) {
            try {
                raw.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new SourceDataException(file, "is not a gzip file (" + e.getMessage() + "); expected a gzipped "
                    + "IDX file as distributed with Fashion-MNIST", e);
        }
    }

    private static int[] header(Path file, DataInputStream in, int expectedDims) throws IOException {
        int magic = in.readInt();
        int expected = (UBYTE << 8) | expectedDims;
        if (magic != expected) {
            throw new SourceDataException(file, String.format("bad magic number 0x%08X, expected 0x%08X (an IDX "
                    + "file of unsigned bytes with %d dimension(s)); is it the right file (images vs labels) and "
                    + "undamaged?", magic, expected, expectedDims));
        }
        int[] dims = new int[expectedDims];
        for (int i = 0; i < expectedDims; i++) {
            dims[i] = in.readInt();
            if (dims[i] < 0) {
                throw new SourceDataException(file, "negative dimension " + dims[i] + " in the header; the file "
                        + "is damaged: reinstall it");
            }
        }
        return dims;
    }

    private static SourceDataException damaged(Path file, IOException e) {
        if (e instanceof EOFException || e instanceof ZipException) {
            return new SourceDataException(file, "is truncated or damaged (" + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()) + "); reinstall it", e);
        }
        return new SourceDataException(file, "cannot be read: " + e, e);
    }
}
