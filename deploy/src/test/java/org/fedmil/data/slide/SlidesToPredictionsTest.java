package org.fedmil.data.slide;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.fedmil.cli.Fedmil;
import org.fedmil.site.predict.PredictionFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A hospital's path from slides to predictions with the commands of the site guide: cut labelled slides into
 * tissue tiles, train (here locally), cut new unlabeled slides, predict them with a threshold chosen on labelled
 * bags, and draw attention over each new slide.
 */
class SlidesToPredictionsTest {

    @BeforeAll
    static void openSlideInstalled() {
        Assumptions.assumeTrue(Slide.libraryProblem().isEmpty(), "OpenSlide (libopenslide0) is not installed");
    }

    @TempDir
    Path tmp;

    /** 1200 × 900 at 0.5 µm/px; tumour tissue is dotted with purple nuclei, normal tissue is plain pink. */
    private void slide(String name, boolean tumour, long cx) throws IOException {
        Path f = tmp.resolve("slides").resolve(name);
        Files.createDirectories(f.getParent());
        PyramidalTiff.write(f, 1200, 900, 0.5, 256, 3, (x, y) -> {
            double dx = (x - cx) / 380.0;
            double dy = (y - 450) / 300.0;
            if (dx * dx + dy * dy > 1) {
                return 0xF5F4F6;
            }
            return tumour && (x / 8 + y / 8) % 3 == 0 ? 0x503080 : 0xE0A0C8;
        });
    }

    private String run(String... args) {
        StringWriter text = new StringWriter();
        CommandLine cli = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text));
        int rc = cli.execute(args);
        assertThat(rc).as(String.join(" ", args) + "\n" + text).isZero();
        return text.toString();
    }

    @Test
    void labelledSlidesTrainAModelThatCallsNewSlidesAndShowsWhereItLooked() throws IOException {
        StringBuilder train = new StringBuilder("slide,label\n");
        StringBuilder held = new StringBuilder("slide,label\n");
        for (int i = 0; i < 12; i++) {
            boolean tumour = i % 2 == 0;
            slide("s" + i + ".tif", tumour, 420 + 40 * i);
            (i < 8 ? train : held).append("s").append(i).append(".tif,").append(tumour ? 1 : 0).append('\n');
        }
        slide("new-a.tif", true, 600);
        slide("new-b.tif", false, 600);
        Path slides = tmp.resolve("slides");
        Files.writeString(slides.resolve("train.csv"), train);
        Files.writeString(slides.resolve("validation.csv"), held);
        Files.writeString(slides.resolve("new.csv"), "slide,label\nnew-a.tif,\nnew-b.tif,\n");
        for (String set : List.of("train", "validation", "new")) {
            run("data", "slides", "--input", slides.resolve(set + ".csv").toString(), "--out",
                    tmp.resolve(set).toString(), "--tile-size", "16", "--target-mpp", "2.0", "--max-tiles", "24");
        }
        Path model = tmp.resolve("model.fedmil");
        run("train-local", "--data", tmp.resolve("train").toString(), "--heldout", tmp.resolve("validation")
                .toString(), "--tile-size", "16", "--channels", "3", "--epochs", "12", "--validation-fraction", "0",
                "--learning-rate", "1e-3", "--device", "cpu", "--out", model.toString());

        Path out = tmp.resolve("predictions");
        String printed = run("predict", "--data", tmp.resolve("new").toString(), "--model", model.toString(),
                "--validation", tmp.resolve("validation").toString(), "--slides", slides.toString(), "--out",
                out.toString());

        assertThat(printed).contains("scored 2 bags", "(2 heatmaps)");
        List<String> rows = Files.readAllLines(out.resolve(PredictionFiles.PREDICTIONS));
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1)).startsWith("new-a,,");
        assertThat(rows.get(2)).startsWith("new-b,,");
        assertThat(rows.get(1).split(",")[3]).as("the tumour slide is called positive").isEqualTo("1");
        assertThat(rows.get(2).split(",")[3]).as("the normal slide is called negative").isEqualTo("0");
        BufferedImage heatmap = ImageIO.read(out.resolve(PredictionFiles.HEATMAPS).resolve("new-a__new-a.png")
                .toFile());
        assertThat(heatmap.getWidth()).isEqualTo(1024);
        // glass outside the tissue is left as it is; where a tile of the bag was cut, the slide is tinted
        assertThat(heatmap.getRGB(5, 5) & 0xFFFFFF).isEqualTo(0xF5F4F6);
        String[] tile = Files.readAllLines(tmp.resolve("new").resolve(SlideCutter.ORIGINS)).get(1).split(",");
        try (Slide s = Slide.open(slides.resolve("new-a.tif"))) {
            SlideThumbnail plain = SlideThumbnail.of(s, 1024);
            int x = (int) ((Long.parseLong(tile[3]) + Long.parseLong(tile[5]) / 2) / plain.scale());
            int y = (int) ((Long.parseLong(tile[4]) + Long.parseLong(tile[5]) / 2) / plain.scale());
            assertThat(heatmap.getRGB(x, y) & 0xFFFFFF).isNotEqualTo(plain.rgb()[y * plain.width() + x]);
        }
        assertThat(Files.readString(out.resolve(PredictionFiles.PAGE)))
                .contains("attention heatmap of new-a__new-a.png");
    }
}
