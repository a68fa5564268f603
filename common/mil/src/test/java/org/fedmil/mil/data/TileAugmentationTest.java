package org.fedmil.mil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TileAugmentationTest {

    private static final TileFormat GREY4 = new TileFormat(1, 4);

    /**
     * The 4×4 tile with values 0..15 row by row:
     * <pre>
     *    0  1  2  3
     *    4  5  6  7
     *    8  9 10 11
     *   12 13 14 15
     * </pre>
     */
    private static final float[] TILE = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    // Hand-computed images of TILE, row by row.
    private static final float[] MIRROR_LEFT_RIGHT = {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12};
    private static final float[] UPSIDE_DOWN = {12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3};
    private static final float[] TURNED_180 = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    private static final float[] TURNED_LEFT = {3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12};
    private static final float[] TURNED_RIGHT = {12, 8, 4, 0, 13, 9, 5, 1, 14, 10, 6, 2, 15, 11, 7, 3};
    private static final float[] TRANSPOSED = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
    private static final float[] ANTI_TRANSPOSED = {15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0};

    /** A bag of {@code n} copies of TILE. */
    private static Bag copies(int n) {
        float[] x = new float[n * 16];
        for (int i = 0; i < n; i++) {
            System.arraycopy(TILE, 0, x, i * 16, 16);
        }
        return new Bag("b", 1, n, 16, x);
    }

    /** The distinct tiles of an augmented bag of copies, as lists so they compare by value. */
    private static Set<List<Float>> outcomes(TileAugmentation aug, int tiles, long seed) {
        Bag out = aug.apply(copies(tiles), new Random(seed));
        Set<List<Float>> seen = new HashSet<>();
        for (int t = 0; t < tiles; t++) {
            seen.add(asList(Arrays.copyOfRange(out.features(), t * 16, t * 16 + 16)));
        }
        return seen;
    }

    private static List<Float> asList(float[] a) {
        List<Float> l = new ArrayList<>();
        for (float f : a) {
            l.add(f);
        }
        return l;
    }

    private static Set<List<Float>> setOf(float[]... tiles) {
        Set<List<Float>> s = new HashSet<>();
        for (float[] t : tiles) {
            s.add(asList(t));
        }
        return s;
    }

    @Test
    void flipsOnlyGivesTheFourFlipImagesAndNeverAQuarterTurn() {
        Set<List<Float>> seen = outcomes(new TileAugmentation(GREY4, true, false), 400, 1);

        assertThat(seen).isEqualTo(setOf(TILE, MIRROR_LEFT_RIGHT, UPSIDE_DOWN, TURNED_180));
        assertThat(seen).doesNotContain(asList(TURNED_LEFT), asList(TURNED_RIGHT), asList(TRANSPOSED));
    }

    @Test
    void rotationsOnlyGivesTheFourQuarterTurns() {
        Set<List<Float>> seen = outcomes(new TileAugmentation(GREY4, false, true), 400, 2);

        assertThat(seen).isEqualTo(setOf(TILE, TURNED_LEFT, TURNED_180, TURNED_RIGHT));
    }

    @Test
    void flipsAndRotationsGiveAllEightSymmetriesOfTheSquare() {
        Set<List<Float>> seen = outcomes(new TileAugmentation(GREY4, true, true), 800, 3);

        assertThat(seen).isEqualTo(setOf(TILE, MIRROR_LEFT_RIGHT, UPSIDE_DOWN, TURNED_180, TURNED_LEFT,
                TURNED_RIGHT, TRANSPOSED, ANTI_TRANSPOSED));
    }

    @Test
    void eachTileKeepsItsPixelValuesAndAllChannelsMoveTogether() {
        TileFormat rgb = new TileFormat(3, 5);
        Random values = new Random(7);
        int tiles = 50;
        float[] x = new float[tiles * rgb.dim()];
        for (int i = 0; i < x.length; i++) {
            x[i] = values.nextInt(256) / 255f;
        }
        Bag bag = new Bag("b", 0, tiles, rgb.dim(), x);

        Bag out = new TileAugmentation(rgb, true, true).apply(bag, new Random(8));

        int plane = 25;
        for (int t = 0; t < tiles; t++) {
            for (int c = 0; c < 3; c++) {
                int from = t * rgb.dim() + c * plane;
                float[] before = Arrays.copyOfRange(x, from, from + plane);
                float[] after = Arrays.copyOfRange(out.features(), from, from + plane);
                Arrays.sort(before);
                Arrays.sort(after);
                assertThat(after).as("tile " + t + " channel " + c).containsExactly(before);
            }
        }
        // The same pixel moves in every channel: give the channels of one tile an identical plane plus an
        // offset, and the offset must survive everywhere.
        float[] same = new float[rgb.dim()];
        for (int i = 0; i < plane; i++) {
            same[i] = i;
            same[plane + i] = i + 100;
            same[2 * plane + i] = i + 200;
        }
        for (int seed = 0; seed < 20; seed++) {
            float[] y = new TileAugmentation(rgb, true, true).apply(new Bag("s", 0, 1, rgb.dim(), same),
                    new Random(seed)).features();
            for (int i = 0; i < plane; i++) {
                assertThat(y[plane + i]).isEqualTo(y[i] + 100);
                assertThat(y[2 * plane + i]).isEqualTo(y[i] + 200);
            }
        }
    }

    @Test
    void tilesOfABagAreTransformedIndependently() {
        assertThat(outcomes(new TileAugmentation(GREY4, true, true), 20, 4)).hasSizeGreaterThan(1);
    }

    @Test
    void theInputBagIsNotModifiedAndTheOutputKeepsIdAndLabel() {
        Bag bag = copies(30);
        float[] before = bag.features().clone();

        Bag out = new TileAugmentation(GREY4, true, true).apply(bag, new Random(5));

        assertThat(bag.features()).containsExactly(before);
        assertThat(out.features()).isNotSameAs(bag.features());
        assertThat(out.id()).isEqualTo("b");
        assertThat(out.label()).isEqualTo(1);
        assertThat(out.instances()).isEqualTo(30);
    }

    @Test
    void sameSeedSameResult() {
        TileAugmentation aug = new TileAugmentation(GREY4, true, true);

        assertThat(aug.apply(copies(30), new Random(9)).features())
                .containsExactly(aug.apply(copies(30), new Random(9)).features());
    }

    @Test
    void withNeitherFlipsNorRotationsItIsTheIdentity() {
        TileAugmentation none = new TileAugmentation(GREY4, false, false);
        Bag bag = copies(3);

        assertThat(none.isIdentity()).isTrue();
        assertThat(none.apply(bag, new Random(1))).isSameAs(bag);
        assertThat(new TileAugmentation(GREY4, true, false).isIdentity()).isFalse();
        assertThat(new TileAugmentation(GREY4, false, true).isIdentity()).isFalse();
    }

    @Test
    void bagsOfAnotherFormatAreRefused() {
        assertThatThrownBy(() -> new TileAugmentation(new TileFormat(3, 4), true, true).apply(copies(2),
                new Random(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bag 'b'", "16 values per instance", "48", "3×4×4");
    }

    @Test
    void tileFormatIsValidated() {
        assertThat(new TileFormat(3, 27).dim()).isEqualTo(3 * 27 * 27);
        assertThatThrownBy(() -> new TileFormat(2, 28)).hasMessageContaining("channels must be 1 (grey) or 3");
        assertThatThrownBy(() -> new TileFormat(1, 3)).hasMessageContaining("between 4 and");
    }
}
