package org.fedmil.data.slide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.tiles.BagPlan;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slides → a tile site folder: tissue tiles only, at the resolution asked, with where each came from. */
class SlideCutterTest {

    @BeforeAll
    static void openSlideInstalled() {
        Slide.libraryProblem().ifPresent(p -> System.out.println("skipped: " + p));
        Assumptions.assumeTrue(Slide.libraryProblem().isEmpty(), "OpenSlide (libopenslide0) is not installed");
    }

    @TempDir
    Path dir;

    private static BagPlan bag(String id, int label, Path... slides) {
        return new BagPlan(id, label, java.util.Arrays.stream(slides)
                .map(s -> new BagPlan.Image(s, s.getFileName().toString(), "")).toList());
    }

    @Test
    void tissueTilesAreCutAtTheTargetResolutionFromTheNearestLevelAndTracedToTheirSlide() throws Exception {
        TestSlides.Blob blob = new TestSlides.Blob(1200, 800, 600, 400);
        Path slide = TestSlides.write(dir.resolve("a.tif"), 3000, 2000, 0.25, 4, blob);
        Path out = dir.resolve("site");
        // 64-pixel tiles at 1 µm/px = 256 level-0 pixels at 0.25 µm/px, read from level 2 (4×) as they are
        List<SlideCutter.SlideRow> rows = new SlideCutter(SlideTiling.of(64, 1.0)).run(
                List.of(bag("a", 1, slide)), out);

        SlidePlan plan = rows.get(0).plan();
        assertThat(plan.level()).isEqualTo(2);
        assertThat(plan.side()).isEqualTo(256.0);
        assertThat(plan.gridTiles()).isEqualTo(11 * 7);
        assertThat(plan.tissueTiles()).isBetween(10, 30);
        for (long[] c : plan.tiles()) { // at least half of every kept tile lies in the ellipse's bounding box
            assertThat(c[0] + 128).isBetween(blob.cx() - blob.rx(), blob.cx() + blob.rx());
            assertThat(c[1] + 128).isBetween(blob.cy() - blob.ry(), blob.cy() + blob.ry());
        }
        BagDataset site = BagDataset.load(out, new TileFormat(3, 64));
        assertThat(site.bags()).hasSize(1);
        assertThat(site.bags().get(0).instances()).isEqualTo(plan.tiles().size());
        List<String> origins = Files.readAllLines(out.resolve(SlideCutter.ORIGINS));
        assertThat(origins).hasSize(plan.tiles().size() + 1);
        assertThat(origins.get(1)).startsWith("a,0000.png,a.tif,").endsWith(",256");
        assertThat(Files.readString(out.resolve(SlideCutter.REPORT))).contains("a.tif,a,1,3000,2000,0.2500,2,256.0");
        BufferedImage tile = ImageIO.read(out.resolve("tiles/a/0000.png").toFile());
        assertThat(tile.getWidth()).isEqualTo(64);
    }

    @Test
    void aCapPerSlideKeepsTheSameSeededTilesOnEveryRun() throws Exception {
        Path slide = TestSlides.write(dir.resolve("b.tif"), 2000, 2000, 0.5, 3, new TestSlides.Blob(1000, 1000, 900,
                900));
        SlideTiling capped = SlideTiling.of(32, 0.5).withMaxTiles(5, 7);
        List<long[]> first = new SlideCutter(capped).run(List.of(bag("b", 0, slide)), dir.resolve("one")).get(0)
                .plan().tiles();
        List<long[]> again = new SlideCutter(capped).run(List.of(bag("b", 0, slide)), dir.resolve("two")).get(0)
                .plan().tiles();
        assertThat(first).hasSize(5);
        assertThat(first).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(again);
    }

    @Test
    void slidesWithoutTissueOrResolutionStopTheRunBeforeAnythingIsWritten() throws Exception {
        Path good = TestSlides.write(dir.resolve("good.tif"), 1000, 1000, 0.5, 2, new TestSlides.Blob(500, 500, 300,
                300));
        Path blank = TestSlides.write(dir.resolve("blank.tif"), 1000, 1000, 0.5, 2);
        Path out = Files.createDirectories(dir.resolve("site"));
        assertThatThrownBy(() -> new SlideCutter(SlideTiling.of(32, 0.5)).run(List.of(bag("g", 1, good),
                bag("k", 0, blank)), out)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("nothing was written").hasMessageContaining("blank.tif")
                .hasMessageContaining("no tissue found").hasMessageContaining("--min-saturation");
        try (var files = Files.list(out)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aSlideWithoutAResolutionNeedsSlideMppForATargetAndTilesWithIt() throws Exception {
        // 2 dpi: a resolution no scanner writes, read as none
        Path slide = dir.resolve("nompp.tif");
        PyramidalTiff.write(slide, 800, 800, 12_700, 256, 2, TestSlides.canvas(new TestSlides.Blob(400, 400, 300,
                300)));
        try (Slide s = Slide.open(slide)) {
            assertThat(s.micronsPerPixel()).isEmpty();
        }
        assertThatThrownBy(() -> new SlideCutter(SlideTiling.of(32, 1.0)).run(List.of(bag("n", 1, slide)),
                dir.resolve("x"))).hasMessageContaining("nompp.tif").hasMessageContaining("--slide-mpp");
        List<SlideCutter.SlideRow> rows = new SlideCutter(SlideTiling.of(32, 1.0).withSlideMpp(0.5)).run(
                List.of(bag("n", 1, slide)), dir.resolve("y"));
        assertThat(rows.get(0).plan().side()).isEqualTo(64.0);
        assertThat(rows.get(0).plan().level()).isEqualTo(1);
        // without a target, level-0 pixels are tiled as they are
        assertThat(new SlideCutter(SlideTiling.of(32, null)).run(List.of(bag("n", 1, slide)), dir.resolve("z"))
                .get(0).plan().side()).isEqualTo(32.0);
    }

    @Test
    void aTargetFinerThanTheScanIsRefusedRatherThanEnlarged() throws Exception {
        Path slide = TestSlides.write(dir.resolve("c.tif"), 600, 600, 1.0, 1, new TestSlides.Blob(300, 300, 200,
                200));
        assertThatThrownBy(() -> new SlideCutter(SlideTiling.of(32, 0.25)).run(List.of(bag("c", 1, slide)),
                dir.resolve("x"))).hasMessageContaining("c.tif").hasMessageContaining("never enlarged");
    }

    @Test
    void areaResamplingAveragesTheCoveredPixels() {
        int[] src = {0x000000, 0xFFFFFF, 0xFFFFFF, 0x000000};
        assertThat(AreaResample.rgb(src, 2, 2, 1, 1)).containsExactly(0x808080);
        int[] three = {0x0A0A0A, 0x141414, 0x1E1E1E};
        // 3 → 2: each output pixel covers 1.5 inputs, (10 + 20/2) / 1.5 = 13.3 and (20/2 + 30) / 1.5 = 26.7
        assertThat(AreaResample.rgb(three, 3, 1, 2, 1)).containsExactly(0x0D0D0D, 0x1B1B1B);
    }
}
