package org.fedmil.site.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tile view of the page, with real image files (tile bags reach it through {@link InstanceNames}). */
class ExplanationPageTest {

    @TempDir
    Path dir;

    private Path image(String name, String format) throws IOException {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 3, 0xCC2244);
        Path file = dir.resolve(name);
        assertThat(ImageIO.write(img, format, file.toFile())).isTrue();
        return file;
    }

    private static String render(int top, BagExplanation bag) throws IOException {
        StringWriter out = new StringWriter();
        new ExplanationPage(top).write(out, new ExplanationPage.Context("t", Map.of("model", "m")), List.of(bag));
        return out.toString();
    }

    @Test
    void tilesAreEmbeddedAsDataUrisInRankOrderWithWeightScoreAndBar() throws IOException {
        Path png = image("tile_3_7.png", "png");
        Path tiff = image("tile_0_1.tif", "tiff");
        BagExplanation bag = new BagExplanation("slide-9", 1, 0.91f, List.of(
                new InstanceExplanation(1, 4, "tile_3_7.png", png, 0.7f, 0.95f),
                new InstanceExplanation(2, 0, "tile_0_1.tif", tiff, 0.2f, 0.40f),
                new InstanceExplanation(3, 2, "gone.png", dir.resolve("gone.png"), 0.1f, 0.10f)));

        String html = render(50, bag);

        String pngUri = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        assertThat(html).contains("<img src=\"" + pngUri + "\" alt=\"tile_3_7.png\">");
        // TIFF is not shown by browsers: re-encoded as PNG
        assertThat(html).contains("alt=\"tile_0_1.tif\"").doesNotContain("image/tiff");
        assertThat(html).contains("tile file not readable");
        assertThat(html.indexOf("#1 tile_3_7.png")).isLessThan(html.indexOf("#2 tile_0_1.tif"));
        assertThat(html).contains("attention 0.7000 · score 0.950").contains("width:100.0%")
                .contains("width:28.6%");
        assertThat(html).doesNotContain("src=\"http").doesNotContain("<script");
    }

    @Test
    void onlyTheTopInstancesAreShown() throws IOException {
        BagExplanation bag = new BagExplanation("b", 0, 0.2f, List.of(
                new InstanceExplanation(1, 1, "instance_1", null, 0.6f, 0.3f),
                new InstanceExplanation(2, 0, "instance_0", null, 0.4f, 0.1f)));

        String html = render(1, bag);

        assertThat(html).contains("instance_1").contains("the 1 with most attention shown")
                .doesNotContain("<td>instance_0</td>");
    }

    @Test
    void aTileNameIsEscapedInCaptionAndAltText() throws IOException {
        Path png = image("a.png", "png");
        BagExplanation bag = new BagExplanation("b", 1, 0.5f, List.of(
                new InstanceExplanation(1, 0, "x\"><script>alert(1)</script>.png", png, 1f, 0.5f)));

        String html = render(5, bag);

        assertThat(html).doesNotContain("<script>").contains("alt=\"x&quot;&gt;&lt;script&gt;");
    }

    @Test
    void csvFieldsWithCommasOrQuotesAreQuoted() {
        assertThat(ExplanationFiles.csv("tile_1.png")).isEqualTo("tile_1.png");
        assertThat(ExplanationFiles.csv("a,b \"c\".png")).isEqualTo("\"a,b \"\"c\"\".png\"");
    }
}
