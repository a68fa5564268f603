package org.fedmil.data.tiles;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

import org.fedmil.data.SourceDataException;

/**
 * Opens input images (PNG, JPEG, TIFF; ImageIO's decoders, TIFF included since JDK 9) one page at a time.
 * {@link #probe} reads only the headers, so every image can be checked before anything is written.
 */
final class SourceImages {

    /** The size of each page of an image. */
    record Pages(List<int[]> sizes) {

        int count() {
            return sizes.size();
        }
    }

    private SourceImages() {
    }

    /** Page sizes from the headers; a problem is returned as a message naming the image, never thrown. */
    static Pages probe(BagPlan.Image image, List<String> problems) {
        Path file = image.file();
        if (!Files.isRegularFile(file)) {
            problems.add(image.describe() + ": not found" + (image.where().isEmpty() ? "" : "; fix the path (a "
                    + "relative path is resolved against the CSV's folder) or remove the row"));
            return null;
        }
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = reader(in, image);
            try {
                reader.setInput(in, false, false);
                int n = reader.getNumImages(true);
                List<int[]> sizes = new ArrayList<>();
                for (int p = 0; p < n; p++) {
                    sizes.add(new int[] {reader.getWidth(p), reader.getHeight(p)});
                }
                if (n == 0) {
                    problems.add(image.describe() + ": holds no image; replace it or remove it from the input");
                    return null;
                }
                return new Pages(sizes);
            } finally {
                reader.dispose();
            }
        } catch (SourceDataException e) {
            problems.add(e.getMessage());
        } catch (IOException | RuntimeException e) {
            problems.add(image.describe() + ": cannot be read (" + e.getMessage() + "); the file is corrupt, "
                    + "truncated or in an unsupported variant: convert it to PNG or TIFF, or remove it");
        }
        return null;
    }

    /** Decodes page {@code page}; a decoder warning (e.g. a truncated JPEG) counts as an error. */
    static BufferedImage decode(BagPlan.Image image, int page) {
        List<String> warnings = new ArrayList<>();
        BufferedImage decoded;
        try (ImageInputStream in = new FileImageInputStream(image.file().toFile())) {
            ImageReader reader = reader(in, image);
            try {
                reader.setInput(in, false, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                decoded = reader.read(page);
            } finally {
                reader.dispose();
            }
        } catch (SourceDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SourceDataException(null, image.describe() + ": page " + page + " cannot be decoded ("
                    + e.getMessage() + "); the image is corrupt or truncated (interrupted copy?): copy it again or "
                    + "remove it from the input", e);
        }
        if (!warnings.isEmpty()) {
            throw new SourceDataException(null, image.describe() + ": is damaged: the decoder reported '"
                    + warnings.get(0) + "'; copy it again or remove it from the input");
        }
        return decoded;
    }

    private static ImageReader reader(ImageInputStream in, BagPlan.Image image) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new SourceDataException(null, image.describe() + ": not a PNG, JPEG or TIFF image (no decoder "
                    + "recognises its content); replace it or remove it from the input");
        }
        return readers.next();
    }
}
