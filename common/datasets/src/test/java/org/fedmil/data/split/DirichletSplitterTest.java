package org.fedmil.data.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirichletSplitterTest {

    private static final int N = 400;
    private static final int[] LABELS = new int[N];
    private static final int[] SIZES = new int[N];

    static {
        Random r = new Random(123);
        for (int i = 0; i < N; i++) {
            LABELS[i] = r.nextInt(2);
            SIZES[i] = 2 + r.nextInt(50);
        }
    }

    private static int[] perSite(int[] site, int k) {
        int[] count = new int[k];
        for (int s : site) {
            count[s]++;
        }
        return count;
    }

    /** Mean over sites of the total-variation distance of the site's label mix from the global mix. */
    private static double meanLabelSkew(int[] site, int[] labels, int k) {
        double global = 0;
        for (int l : labels) {
            global += l;
        }
        global /= labels.length;
        int[] n = new int[k];
        int[] pos = new int[k];
        for (int i = 0; i < site.length; i++) {
            n[site[i]]++;
            pos[site[i]] += labels[i];
        }
        double tv = 0;
        for (int s = 0; s < k; s++) {
            tv += Math.abs((double) pos[s] / n[s] - global); // TV of two Bernoullis = |p - q|
        }
        return tv / k;
    }

    @Test
    void sameSeedSameAssignmentOtherSeedAnother() {
        int[] a = new DirichletSplitter(4, 0.5, 42).assign(LABELS, SIZES);
        int[] b = new DirichletSplitter(4, 0.5, 42).assign(LABELS, SIZES);
        int[] c = new DirichletSplitter(4, 0.5, 43).assign(LABELS, SIZES);

        assertThat(a).containsExactly(b);
        assertThat(c).isNotEqualTo(a);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.1, 0.5, 1, 100})
    void everyBagGoesToExactlyOneSiteAndEverySiteGetsAtLeastTwo(double alpha) {
        for (long seed = 0; seed < 30; seed++) {
            int[] site = new DirichletSplitter(5, alpha, seed).assign(LABELS, SIZES);

            assertThat(site).hasSize(N);
            assertThat(java.util.Arrays.stream(site).min().getAsInt()).isGreaterThanOrEqualTo(0);
            assertThat(java.util.Arrays.stream(site).max().getAsInt()).isLessThanOrEqualTo(4);
            int[] count = perSite(site, 5);
            assertThat(java.util.Arrays.stream(count).min().getAsInt()).as("alpha %s seed %d", alpha, seed)
                    .isGreaterThanOrEqualTo(2);
            assertThat(java.util.Arrays.stream(count).sum()).isEqualTo(N);
        }
    }

    @Test
    void theMinimumHoldsWithJustTwoBagsPerSite() {
        int[] labels = {0, 1, 0, 1, 1, 0, 0, 1};
        int[] sizes = {3, 4, 5, 6, 7, 8, 9, 10};
        for (long seed = 0; seed < 50; seed++) {
            int[] site = new DirichletSplitter(4, 0.05, seed).assign(labels, sizes);
            assertThat(perSite(site, 4)).containsExactly(2, 2, 2, 2);
        }
    }

    @Test
    void smallAlphaSkewsSitesMuchMoreThanLargeAlpha() {
        double small = 0;
        double large = 0;
        int seeds = 20;
        for (long seed = 0; seed < seeds; seed++) {
            small += meanLabelSkew(new DirichletSplitter(4, 0.1, seed).assign(LABELS, SIZES), LABELS, 4);
            large += meanLabelSkew(new DirichletSplitter(4, 100, seed).assign(LABELS, SIZES), LABELS, 4);
        }
        small /= seeds;
        large /= seeds;
        System.out.printf("mean TV distance of site label mix from global, 4 sites, %d bags, %d seeds: "
                + "alpha 0.1 -> %.3f, alpha 100 -> %.3f%n", N, seeds, small, large);

        assertThat(small).isGreaterThan(0.15);
        assertThat(large).isLessThan(0.05);
        assertThat(small).isGreaterThan(4 * large);
    }

    @Test
    void largeAlphaKeepsTheSizeMixEvenToo() {
        int[] site = new DirichletSplitter(2, 1000, 1).assign(LABELS, SIZES);
        double[] mean = new double[2];
        int[] n = perSite(site, 2);
        for (int i = 0; i < N; i++) {
            mean[site[i]] += (double) SIZES[i] / n[site[i]];
        }
        assertThat(n[0]).isCloseTo(N / 2, within(8));
        assertThat(mean[0]).isCloseTo(mean[1], within(3.0));
    }

    @Test
    void gammaVariatesHaveTheRightMean() {
        Random rng = new Random(5);
        for (double shape : new double[] {0.3, 1.0, 2.5}) {
            double sum = 0;
            int n = 40_000;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(DirichletSplitter.logGamma(shape, rng));
            }
            assertThat(sum / n).as("mean of Gamma(%s)", shape).isCloseTo(shape, within(0.03 * shape + 0.01));
        }
    }

    @Test
    void dirichletDrawsSumToOneEvenForTinyAlpha() {
        Random rng = new Random(6);
        for (double alpha : new double[] {1e-4, 0.5, 50}) {
            for (int i = 0; i < 200; i++) {
                double[] p = DirichletSplitter.dirichlet(alpha, 4, rng);
                double sum = 0;
                for (double x : p) {
                    assertThat(x).isBetween(0.0, 1.0);
                    sum += x;
                }
                assertThat(sum).isCloseTo(1.0, within(1e-9));
            }
        }
    }

    @Test
    void apportionGivesExactlyTheStratumSize() {
        assertThat(DirichletSplitter.apportion(new double[] {0.5, 0.3, 0.2}, 7)).containsExactly(4, 2, 1);
        assertThat(DirichletSplitter.apportion(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, 2)).containsExactly(1, 1, 0);
    }

    @Test
    void impossibleRequestsAreRefused() {
        assertThatThrownBy(() -> new DirichletSplitter(0, 0.5, 1)).hasMessageContaining("sites must be at least 1");
        assertThatThrownBy(() -> new DirichletSplitter(2, 0, 1)).hasMessageContaining("alpha");
        assertThatThrownBy(() -> new DirichletSplitter(2, Double.NaN, 1)).hasMessageContaining("alpha");
        assertThatThrownBy(() -> new DirichletSplitter(3, 0.5, 1).assign(new int[5], new int[5]))
                .hasMessageContaining("5 bags cannot give 3 sites at least 2 each");
        assertThatThrownBy(() -> new DirichletSplitter(1, 0.5, 1).assign(new int[] {0, 2}, new int[] {1, 1}))
                .hasMessageContaining("bag #1: label must be 0 or 1");
    }
}
