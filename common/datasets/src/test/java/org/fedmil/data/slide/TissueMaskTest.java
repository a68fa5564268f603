package org.fedmil.data.slide;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Tissue on a thumbnail: Otsu on saturation, small specks dropped, small holes filled. */
class TissueMaskTest {

    private static int[] glass(int w, int h) {
        int[] px = new int[w * h];
        Arrays.fill(px, TestSlides.GLASS);
        return px;
    }

    private static void paint(int[] px, int w, int x0, int y0, int x1, int y1, int rgb) {
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                px[y * w + x] = rgb;
            }
        }
    }

    @Test
    void otsuSplitsTwoModesBetweenThem() {
        int[] h = new int[256];
        h[10] = 500;
        h[200] = 300;
        int t = TissueMask.otsu(h, 800);
        assertThat(t).isBetween(10, 199);
    }

    @Test
    void stainedTissueIsFoundAndGlassIsNot() {
        int w = 100;
        int[] px = glass(w, 80);
        paint(px, w, 20, 20, 60, 50, TestSlides.STROMA);
        TissueMask m = TissueMask.detect(px, w, 80, 0.05, 4, 4);
        assertThat(m.tissue(30, 30)).isTrue();
        assertThat(m.tissue(80, 70)).isFalse();
        assertThat(m.tissueFraction()).isEqualTo(40 * 30 / 8000.0);
        assertThat(m.tissueFraction(20, 20, 60, 50)).isEqualTo(1.0);
        assertThat(m.tissueFraction(40, 20, 80, 50)).isEqualTo(0.5);
    }

    @Test
    void aBlankSlideHasNoTissueRatherThanHalfItsNoise() {
        int w = 64;
        int[] px = glass(w, 64);
        for (int i = 0; i < px.length; i += 7) {
            px[i] = 0xF0F2F4; // scanner noise: a little saturation here and there
        }
        assertThat(TissueMask.detect(px, w, 64, 0.05, 1, 1).tissueFraction()).isZero();
    }

    @Test
    void specksSmallerThanATileAreDroppedAndHolesSmallerThanATileFilled() {
        int w = 100;
        int[] px = glass(w, 100);
        paint(px, w, 10, 10, 70, 70, TestSlides.STROMA);
        paint(px, w, 30, 30, 32, 32, TestSlides.GLASS); // a 4-pixel hole
        paint(px, w, 90, 90, 92, 92, TestSlides.NUCLEUS); // a 4-pixel speck
        TissueMask kept = TissueMask.detect(px, w, 100, 0.05, 1, 1);
        assertThat(kept.tissue(30, 30)).isFalse();
        assertThat(kept.tissue(90, 90)).isTrue();
        TissueMask cleaned = TissueMask.detect(px, w, 100, 0.05, 9, 9);
        assertThat(cleaned.tissue(30, 30)).as("hole filled").isTrue();
        assertThat(cleaned.tissue(90, 90)).as("speck dropped").isFalse();
        assertThat(cleaned.tissue(5, 5)).as("glass at the border is not a hole").isFalse();
    }
}
