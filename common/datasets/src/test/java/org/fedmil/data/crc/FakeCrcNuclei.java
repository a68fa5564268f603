package org.fedmil.data.crc;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A small data set in the crc-nuclei layout (two CSVs and 27x27 PNG patches), so the converter and its command are
 * tested without the real data: half the patients in the main CSV, half in the extra one.
 */
public final class FakeCrcNuclei {

    private FakeCrcNuclei() {
    }

    /** Writes {@code patients} patients into {@code d}; {@code mainRows} are appended to the main CSV as they are. */
    public static Path write(Path d, int patients, String mainRows) throws IOException {
        Files.createDirectories(d.resolve("patch_images"));
        StringBuilder main = new StringBuilder("InstanceID,patientID,ImageName,cellTypeName,cellType,isCancerous\n");
        StringBuilder extra = new StringBuilder("InstanceID,patientID,ImageName,isCancerous\n");
        int id = 1;
        for (int p = 1; p <= patients; p++) {
            for (int i = 0; i < 2 + p % 3; i++, id++) {
                int cancerous = p % 2 == 0 && i == 0 ? 1 : 0;
                BufferedImage img = new BufferedImage(27, 27, BufferedImage.TYPE_INT_RGB);
                img.setRGB(0, 0, id * 1000);
                ImageIO.write(img, "png", d.resolve("patch_images/" + id + ".png").toFile());
                if (p <= patients / 2) {
                    main.append(id).append(',').append(p).append(',').append(id).append(".png,x,0,")
                            .append(cancerous).append('\n');
                } else {
                    extra.append(id).append(',').append(p).append(',').append(id).append(".png,").append(cancerous)
                            .append('\n');
                }
            }
        }
        main.append(mainRows);
        Files.writeString(d.resolve("data_labels_mainData.csv"), main);
        Files.writeString(d.resolve("data_labels_extraData.csv"), extra);
        return d;
    }
}
