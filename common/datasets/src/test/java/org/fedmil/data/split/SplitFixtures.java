package org.fedmil.data.split;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import org.fedmil.mil.data.Npy;

/** Small data set folders in the site format, written into a test's temporary folder. */
final class SplitFixtures {

    private SplitFixtures() {
    }

    /**
     * A feature-folder data set of {@code bags} bags, bag i positive iff i % 2 == 1 (or as given by
     * {@code positives}), bag i of size 2 + i % 5; with {@code patientSize > 0} a patient column puts
     * consecutive bags of the same label together, {@code patientSize} bags per patient.
     */
    static Path features(Path dir, int negatives, int positives, int patientSize) throws IOException {
        Files.createDirectories(dir.resolve("bags"));
        StringBuilder csv = new StringBuilder(patientSize > 0 ? "bag_id,label,patient\n" : "bag_id,label\n");
        int n = negatives + positives;
        for (int i = 0; i < n; i++) {
            int label = i < negatives ? 0 : 1;
            String id = String.format("bag-%03d", i);
            int rows = 2 + i % 5;
            float[] x = new float[rows * 3];
            for (int j = 0; j < x.length; j++) {
                x[j] = i + j * 0.01f;
            }
            Npy.write(dir.resolve("bags").resolve(id + ".npy"), new Npy.Matrix(rows, 3, x));
            csv.append(id).append(',').append(label);
            if (patientSize > 0) {
                int p = label == 0 ? i / patientSize : negatives / patientSize + 1000 + (i - negatives) / patientSize;
                csv.append(",P").append(p);
            }
            csv.append('\n');
        }
        Files.writeString(dir.resolve("bags.csv"), csv.toString(), StandardCharsets.UTF_8);
        return dir;
    }

    /** A tile data set of grey 8×8 PNG tiles, 2–4 per bag, with an instance_labels.csv. */
    static Path tiles(Path dir, int negatives, int positives) throws IOException {
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        StringBuilder instances = new StringBuilder("bag_id,tile,label\n");
        for (int i = 0; i < negatives + positives; i++) {
            int label = i < negatives ? 0 : 1;
            String id = String.format("img-%03d", i);
            Path folder = Files.createDirectories(dir.resolve("tiles").resolve(id));
            for (int t = 0; t < 2 + i % 3; t++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setSample(t, t, 0, 40 * t + i);
                String tile = String.format("%02d.png", t);
                ImageIO.write(img, "png", folder.resolve(tile).toFile());
                instances.append(id).append(',').append(tile).append(',').append(label == 1 && t == 0 ? 1 : 0)
                        .append('\n');
            }
            csv.append(id).append(',').append(label).append('\n');
        }
        Files.writeString(dir.resolve("bags.csv"), csv.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("instance_labels.csv"), instances.toString(), StandardCharsets.UTF_8);
        return dir;
    }
}
