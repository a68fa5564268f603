package org.fedmil.data.tiles;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data tiles} as a user runs it: class folders in, a loadable site folder out. */
class TilesCommandTest {

    @TempDir
    Path tmp;

    private void image(String path, int w, int h, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, x < w / 2 ? rgb : 0xF4F4F4);
            }
        }
        Path f = tmp.resolve(path);
        Files.createDirectories(f.getParent());
        ImageIO.write(img, "png", f.toFile());
    }

    @Test
    void tilesFromClassFoldersLoadAsATileSiteAndANonEmptyOutputNeedsForce() throws IOException {
        image("images/benign/b1.png", 64, 32, 0xD08CB4);
        image("images/benign/b2.png", 64, 64, 0xD08CB4);
        image("images/malignant/m1.png", 128, 32, 0x6040A0);
        Path out = tmp.resolve("site");
        StringWriter text = new StringWriter();
        CommandLine cli = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text));
        String[] args = {"data", "tiles", "--input", tmp.resolve("images").toString(), "--out", out.toString(),
                "--tile-size", "32", "--positive", "malignant"};

        int first = cli.execute(args);
        int second = cli.execute(args);

        assertThat(first).as(text.toString()).isZero();
        BagDataset site = BagDataset.load(out, new TileFormat(3, 32));
        assertThat(site.size()).isEqualTo(3);
        assertThat(site.labelCounts().positives()).isEqualTo(1);
        assertThat(site.bags().get(1).instances()).isEqualTo(2); // b2: 4 tiles, the white half dropped
        assertThat(text.toString()).contains("b2.png", "3 bag(s) written (1 positive)",
                "tile format channels 3, size 32");
        assertThat(second).isEqualTo(2);
        assertThat(text.toString()).contains("is not empty", "--force");
        assertThat(cli.execute(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8],
                args[9], "--force")).isZero();
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        StringWriter text = new StringWriter();
        CommandLine cli = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text));

        int code = cli.execute("data", "tiles", "--input", tmp.toString(), "--out", tmp.resolve("o").toString(),
                "--tile-size", "32", "--positive", "x", "--background", "black");

        assertThat(code).isEqualTo(2);
        assertThat(text.toString()).contains("--background must be white, dark or off, got 'black'");
    }
}
