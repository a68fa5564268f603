package org.fedmil.data.slide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.fedmil.data.SourceDataException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading slides through OpenSlide, on pyramidal TIFFs the test writes. */
class SlideTest {

    @BeforeAll
    static void openSlideInstalled() {
        Slide.libraryProblem().ifPresent(p -> System.out.println("skipped: " + p));
        Assumptions.assumeTrue(Slide.libraryProblem().isEmpty(), "OpenSlide (libopenslide0) is not installed");
    }

    @TempDir
    Path dir;

    @Test
    void aWrittenPyramidReadsBackLevelByLevelWithItsResolution() throws Exception {
        Path f = TestSlides.write(dir.resolve("s.tif"), 1000, 700, 0.25, 3,
                new TestSlides.Blob(300, 300, 200, 150));
        try (Slide s = Slide.open(f)) {
            assertThat(s.levelCount()).isEqualTo(3);
            assertThat(new long[]{s.width(0), s.height(0), s.width(1), s.height(1), s.width(2), s.height(2)})
                    .containsExactly(1000, 700, 500, 350, 250, 175);
            assertThat(s.downsample(2)).isEqualTo(4.0);
            assertThat(s.micronsPerPixel()).hasValueSatisfying(m -> assertThat(m).containsExactly(0.25, 0.25));
            assertThat(s.readRgb(0, 300, 300, 1, 1)[0]).isIn(TestSlides.STROMA, TestSlides.NUCLEUS);
            assertThat(s.readRgb(0, 900, 600, 1, 1)[0]).isEqualTo(TestSlides.GLASS);
            // outside the slide: white, not OpenSlide's transparent black
            assertThat(s.readRgb(0, 990, 690, 20, 20)[20 * 20 - 1]).isEqualTo(0xFFFFFF);
            assertThat(s.properties()).containsEntry("openslide.vendor", "generic-tiff");
        }
    }

    @Test
    void anImageThatIsNotASlideIsRefusedNamingItAndTheFormatsThatWork() throws Exception {
        Path png = dir.resolve("photo.png");
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        assertThatThrownBy(() -> Slide.open(png)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining(png.toString()).hasMessageContaining("Aperio (.svs")
                .hasMessageContaining("generic tiled pyramidal TIFF").hasMessageContaining("fedmil data tiles");
    }

    @Test
    void aSlideCutShortIsRefusedNamingIt() throws Exception {
        Path f = TestSlides.write(dir.resolve("whole.tif"), 800, 800, 0.5, 2, new TestSlides.Blob(400, 400, 300, 300));
        byte[] bytes = Files.readAllBytes(f);
        Path cut = Files.write(dir.resolve("cut.tif"), Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> {
            try (Slide s = Slide.open(cut)) {
                s.readRgb(0, 0, 0, 800, 800);
            }
        }).isInstanceOf(SourceDataException.class).hasMessageContaining(cut.toString());
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> Slide.open(dir.resolve("none.svs"))).hasMessageContaining("none.svs")
                .hasMessageContaining("not found");
    }

    @Test
    void premultipliedEdgesBlendOverWhite() {
        assertThat(Slide.opaque(0xFF102030)).isEqualTo(0x102030);
        assertThat(Slide.opaque(0)).isEqualTo(0xFFFFFF);
        assertThat(Slide.opaque(0x80000000)).isEqualTo(0x7F7F7F); // half-transparent black over white
    }
}
