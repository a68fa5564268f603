package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class TestTimeAugmentationTest {

    private static final int SIZE = 4;
    private static final TileFormat GREY4 = new TileFormat(1, SIZE);

    /** A model reading 1×4×4 tiles flattened (an MLP over the 16 pixels: not invariant to anything). */
    private static MilModel mlpOnPixels(long seed) {
        return MilModel.create(new ModelSpec(Architecture.ATTENTION, GREY4.dim(), 6, 3), seed);
    }

    private static Bag randomBag(String id, int tiles, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[tiles * GREY4.dim()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return new Bag(id, 1, tiles, GREY4.dim(), x);
    }

    /** The 8 symmetries of the square written out by hand: k quarter turns, then optionally a mirror. */
    private static List<Bag> handMadeViews(Bag bag) {
        List<Bag> views = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            for (boolean mirror : new boolean[]{false, true}) {
                float[] in = bag.features();
                float[] out = new float[in.length];
                for (int t = 0; t < bag.instances(); t++) {
                    float[][] p = new float[SIZE][SIZE];
                    for (int y = 0; y < SIZE; y++) {
                        for (int x = 0; x < SIZE; x++) {
                            p[y][x] = in[t * GREY4.dim() + y * SIZE + x];
                        }
                    }
                    for (int r = 0; r < k; r++) { // one quarter turn clockwise: new[y][x] = old[n-1-x][y]
                        float[][] q = new float[SIZE][SIZE];
                        for (int y = 0; y < SIZE; y++) {
                            for (int x = 0; x < SIZE; x++) {
                                q[y][x] = p[SIZE - 1 - x][y];
                            }
                        }
                        p = q;
                    }
                    for (int y = 0; y < SIZE; y++) {
                        for (int x = 0; x < SIZE; x++) {
                            out[t * GREY4.dim() + y * SIZE + x] = mirror ? p[y][SIZE - 1 - x] : p[y][x];
                        }
                    }
                }
                views.add(new Bag(bag.id(), bag.label(), bag.instances(), bag.dim(), out));
            }
        }
        return views;
    }

    @Test
    void theTtaProbabilityIsTheMeanOfTheProbabilitiesOfTheEightHandMadeViews() {
        Bag bag = randomBag("b", 5, 3);
        try (MilModel model = mlpOnPixels(11)) {
            double sum = 0;
            List<Float> perView = new ArrayList<>();
            for (Bag view : handMadeViews(bag)) {
                float p = model.predictProbabilities(List.of(view))[0];
                perView.add(p);
                sum += p;
            }
            double expected = sum / 8;
            TestTimeAugmentation tta = new TestTimeAugmentation(new TileAugmentation(GREY4, true, true));

            assertThat(tta.viewCount()).isEqualTo(8);
            assertThat(tta.probability(model, bag)).isCloseTo((float) expected, within(1e-6f));
            // the same 8 views, in the group's own order
            float[] views = tta.viewProbabilities(model, bag);
            List<Float> fromTta = new ArrayList<>();
            for (float v : views) {
                fromTta.add(v);
            }
            assertThat(fromTta).usingElementComparator((a, b) -> Math.abs(a - b) < 1e-6f ? 0 : Float.compare(a, b))
                    .containsExactlyInAnyOrderElementsOf(perView);
            assertThat(views[0]).as("view 0 is the bag as it is")
                    .isEqualTo(model.predictProbabilities(List.of(bag))[0]);
            // the views differ for this model, so the average is not the plain probability by accident
            assertThat(perView.stream().distinct().count()).isGreaterThan(1);
        }
    }

    @Test
    void flipsOnlyAverageFourViewsAndScoreListsBagByBag() {
        List<Bag> bags = List.of(randomBag("a", 3, 1), new Bag("z", 0, 2, GREY4.dim(),
                randomBag("z", 2, 2).features()));
        try (MilModel model = mlpOnPixels(5)) {
            TestTimeAugmentation flips = new TestTimeAugmentation(new TileAugmentation(GREY4, true, false));
            assertThat(flips.viewCount()).isEqualTo(4);
            MilModel.Scores s = flips.score(model, bags);
            assertThat(s.labels()).containsExactly(1, 0);
            for (int i = 0; i < bags.size(); i++) {
                float[] v = flips.viewProbabilities(model, bags.get(i));
                assertThat(s.probabilities()[i]).isCloseTo((v[0] + v[1] + v[2] + v[3]) / 4, within(1e-6f));
            }
        }
    }

    @Test
    void aModelInvariantToTheTransformsScoresTheSameWithAndWithoutTta() {
        List<Bag> bags = List.of(randomBag("a", 4, 21), randomBag("b", 7, 22), randomBag("c", 1, 23));
        TestTimeAugmentation tta = new TestTimeAugmentation(new TileAugmentation(GREY4, true, true));
        try (MilModel model = mlpOnPixels(9)) {
            // before: the plain MLP sees pixel positions, so TTA changes its scores
            float[] plainBefore = model.predictProbabilities(bags);
            float[] ttaBefore = tta.score(model, bags).probabilities();
            assertThat(maxDifference(plainBefore, ttaBefore)).isGreaterThan(1e-4);

            // make the first layer weigh every pixel of a tile alike: it then sees only the tile's sum, which no
            // flip or rotation changes
            List<NamedTensor> tensors = new ArrayList<>();
            for (NamedTensor t : model.weights().tensors()) {
                if (t.name().equals("encoder.0.weight")) {
                    int rows = (int) t.shape()[0];
                    int cols = (int) t.shape()[1];
                    float[] v = t.values().clone();
                    for (int r = 0; r < rows; r++) {
                        float mean = 0;
                        for (int c = 0; c < cols; c++) {
                            mean += v[r * cols + c] / cols;
                        }
                        for (int c = 0; c < cols; c++) {
                            v[r * cols + c] = mean;
                        }
                    }
                    tensors.add(new NamedTensor(t.name(), t.shape(), v));
                } else {
                    tensors.add(t);
                }
            }
            model.setWeights(new TensorSet(tensors));

            float[] plain = model.predictProbabilities(bags);
            float[] withTta = tta.score(model, bags).probabilities();
            assertThat(maxDifference(plain, withTta)).isLessThan(1e-6);
        }
    }

    @Test
    void aViewOutsideTheGroupOrOfAnotherTileFormatIsRefused() {
        TileAugmentation flips = new TileAugmentation(GREY4, true, false);
        Bag bag = randomBag("a", 1, 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> flips.view(bag, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transform 4");
        Bag wide = new Bag("w", 0, 1, 27, new float[27]);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> flips.view(wide, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bag 'w'");
    }

    private static double maxDifference(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
