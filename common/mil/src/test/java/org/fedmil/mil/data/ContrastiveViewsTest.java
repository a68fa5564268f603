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

class ContrastiveViewsTest {

    private static final TileFormat GREY4 = new TileFormat(1, 4);
    private static final float[] TILE = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    /** The 8 symmetries of TILE, as TileAugmentation makes them (pinned by hand in its own test). */
    private static Set<List<Float>> symmetriesOfTile() {
        Bag many = new Bag("b", 0, 400, 16, repeat(TILE, 400));
        float[] out = new TileAugmentation(GREY4, true, true).apply(many, new Random(1)).features();
        Set<List<Float>> seen = new HashSet<>();
        for (int t = 0; t < 400; t++) {
            seen.add(list(Arrays.copyOfRange(out, t * 16, t * 16 + 16)));
        }
        assertThat(seen).hasSize(8);
        return seen;
    }

    private static float[] repeat(float[] tile, int n) {
        float[] x = new float[tile.length * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tile, 0, x, i * tile.length, tile.length);
        }
        return x;
    }

    private static List<Float> list(float[] a) {
        List<Float> l = new ArrayList<>();
        for (float f : a) {
            l.add(f);
        }
        return l;
    }

    @Test
    void withoutShiftOrJitterEachViewIsASymmetryOfItsTileAndTheTwoViewsDiffer() {
        ContrastiveViews views = new ContrastiveViews(GREY4, 0, 0);
        Set<List<Float>> symmetries = symmetriesOfTile();
        float[] tiles = repeat(TILE, 50);
        float[] before = tiles.clone();
        Random rng = new Random(3);

        float[] first = views.view(tiles, 50, rng);
        float[] second = views.view(tiles, 50, rng);

        assertThat(tiles).as("the input is not changed").containsExactly(before);
        int differing = 0;
        Set<List<Float>> seen = new HashSet<>();
        for (int t = 0; t < 50; t++) {
            List<Float> a = list(Arrays.copyOfRange(first, t * 16, t * 16 + 16));
            List<Float> b = list(Arrays.copyOfRange(second, t * 16, t * 16 + 16));
            assertThat(symmetries).contains(a, b);
            seen.add(a);
            differing += a.equals(b) ? 0 : 1;
        }
        assertThat(seen).as("all 8 symmetries are drawn").hasSize(8);
        // each pair is equal with probability 1/8: 50 pairs give about 44 differing ones
        assertThat(differing).isGreaterThan(30);
    }

    @Test
    void aShiftRepeatsTheEdgeAndJitterKeepsPixelsInTheUnitRange() {
        // one grey tile, a bright column on the left: shifted right by one, the column doubles (edge repeated)
        float[] column = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
        ContrastiveViews shiftOnly = new ContrastiveViews(GREY4, 0, 3);
        Set<Integer> brightCounts = new HashSet<>();
        Random rng = new Random(5);
        for (int i = 0; i < 200; i++) {
            float[] v = shiftOnly.view(column, 1, rng);
            int bright = 0;
            for (float f : v) {
                assertThat(f).isIn(0f, 1f);
                bright += f == 1f ? 1 : 0;
            }
            brightCounts.add(bright);
        }
        // a line of 4 bright pixels (a column, or a row after a turn): shifted off its edge it is gone (0),
        // shifted away from it the edge is repeated into the gap: 4, 8, 12 or 16
        assertThat(brightCounts).contains(4, 8).isSubsetOf(0, 4, 8, 12, 16);

        float[] rgb = new float[3 * 16];
        Random fill = new Random(7);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = fill.nextFloat();
        }
        ContrastiveViews jitter = new ContrastiveViews(new TileFormat(3, 4), 0.9, 1);
        float[] v = jitter.view(rgb, 1, new Random(9));
        for (float f : v) {
            assertThat(f).isBetween(0f, 1f);
        }
        assertThat(v).isNotEqualTo(rgb);
    }

    @Test
    void theSameSeedGivesTheSameViews() {
        ContrastiveViews views = new ContrastiveViews(new TileFormat(3, 4), 0.3, 1);
        float[] tiles = new float[3 * 16 * 5];
        Random fill = new Random(11);
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = fill.nextFloat();
        }
        assertThat(views.view(tiles, 5, new Random(2))).containsExactly(views.view(tiles, 5, new Random(2)));
    }

    @Test
    void refusesTilesOfAnotherFormatAndSettingsOutOfRange() {
        ContrastiveViews views = new ContrastiveViews(GREY4, 0.2, 1);
        assertThatThrownBy(() -> views.view(new float[15], 1, new Random(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("15 values are not 1 tiles");
        assertThatThrownBy(() -> new ContrastiveViews(GREY4, 1.0, 0)).hasMessageContaining("colour jitter");
        assertThatThrownBy(() -> new ContrastiveViews(GREY4, 0, 4)).hasMessageContaining("max shift must be 0..3");
    }
}
