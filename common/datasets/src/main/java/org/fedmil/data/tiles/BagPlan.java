package org.fedmil.data.tiles;

import java.nio.file.Path;
import java.util.List;

/**
 * One bag to cut: its id (a safe folder name), its label and the images whose tiles it holds, in order.
 *
 * @param images the source images; each page of a multi-page image is one more image of the bag
 */
public record BagPlan(String id, int label, List<Image> images) {

    public BagPlan {
        images = List.copyOf(images);
    }

    /**
     * One source image.
     *
     * @param file  the image file
     * @param shown how the user named it, for the report: the path as written in the CSV, or relative to the
     *              input folder
     * @param where where it was listed, for error messages (e.g. "images.csv row 5"), or empty
     */
    public record Image(Path file, String shown, String where) {

        /** "images.csv row 5: image 'a.png'" or "a.png", the prefix of messages about this image. */
        String describe() {
            return where.isEmpty() ? file.toString() : where + ": image '" + shown + "' (" + file + ")";
        }
    }
}
