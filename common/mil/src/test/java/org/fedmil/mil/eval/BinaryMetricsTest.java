package org.fedmil.mil.eval;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BinaryMetricsTest {

    private static final double EXACT = 1e-12;

    @Test
    void perfectRankingScoresOneEverywhere() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0, 1, 1}, new float[] {0.1f, 0.4f, 0.6f, 0.9f});

        assertThat(m.n()).isEqualTo(4);
        assertThat(m.auc()).isEqualTo(1.0);
        assertThat(m.accuracy()).isEqualTo(1.0);
        assertThat(m.sensitivity()).isEqualTo(1.0);
        assertThat(m.specificity()).isEqualTo(1.0);
        // −(ln(1 − 0.1) + ln(1 − 0.4) + ln 0.6 + ln 0.9) / 4, from the float probabilities
        double expected = -(Math.log(1 - (double) 0.1f) + Math.log(1 - (double) 0.4f) + Math.log(0.6f)
                + Math.log(0.9f)) / 4;
        assertThat(m.loss()).isCloseTo(expected, within(1e-9)).isCloseTo(0.30809, within(1e-5));
    }

    @Test
    void invertedRankingScoresZero() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0, 1, 1}, new float[] {0.9f, 0.6f, 0.4f, 0.1f});

        assertThat(m.auc()).isEqualTo(0.0);
        assertThat(m.accuracy()).isEqualTo(0.0);
        assertThat(m.sensitivity()).isEqualTo(0.0);
        assertThat(m.specificity()).isEqualTo(0.0);
    }

    @Test
    void aTieBetweenAPositiveAndANegativeCountsOneHalf() {
        // pairs (pos, neg): (0.5, 0.5) = ½, (0.5, 0.2) = 1, (0.8, 0.5) = 1, (0.8, 0.2) = 1 → 3.5 / 4
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1, 0, 1}, new float[] {0.5f, 0.5f, 0.2f, 0.8f});

        assertThat(m.auc()).isCloseTo(0.875, within(EXACT));
        // 0.5 is on the threshold and counts as positive: the negative at 0.5 is a false positive
        assertThat(m.accuracy()).isCloseTo(0.75, within(EXACT));
        assertThat(m.sensitivity()).isEqualTo(1.0);
        assertThat(m.specificity()).isEqualTo(0.5);
    }

    @Test
    void tiesWithinOneClassDoNotMatterAndAllTiedIsChance() {
        BinaryMetrics sameClassTies = BinaryMetrics.of(new int[] {0, 0, 1, 1, 1},
                new float[] {0.3f, 0.3f, 0.7f, 0.7f, 0.2f});
        // positives 0.7, 0.7 beat both negatives (4 pairs); 0.2 loses to both (0) → 4 / 6
        assertThat(sameClassTies.auc()).isCloseTo(4.0 / 6, within(EXACT));

        BinaryMetrics allTied = BinaryMetrics.of(new int[] {0, 1, 1, 0, 1}, new float[] {0.4f, 0.4f, 0.4f, 0.4f, 0.4f});
        assertThat(allTied.auc()).isCloseTo(0.5, within(EXACT));
    }

    @Test
    void aucMatchesPairCountingOnAnUnevenExample() {
        int[] labels = {1, 0, 1, 1, 0, 0, 0, 1, 0};
        float[] p = {0.8f, 0.3f, 0.3f, 0.55f, 0.7f, 0.1f, 0.55f, 0.9f, 0.2f};
        double pairs = 0;
        double wins = 0;
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < labels.length; j++) {
                if (labels[i] == 1 && labels[j] == 0) {
                    pairs++;
                    wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
                }
            }
        }
        // by hand: 0.9 → 5, 0.8 → 5, 0.55 → 3.5 (beats 0.3, 0.1, 0.2; ties 0.55), 0.3 → 2.5 → 16 / 20
        assertThat(wins / pairs).isEqualTo(0.8);
        assertThat(BinaryMetrics.of(labels, p).auc()).isCloseTo(0.8, within(EXACT));
    }

    @Test
    void onlyPositivesLeavesAucAndSpecificityUndefined() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {1, 1, 1}, new float[] {0.9f, 0.2f, 0.6f});

        assertThat(m.auc()).isNaN();
        assertThat(m.specificity()).isNaN();
        assertThat(m.sensitivity()).isCloseTo(2.0 / 3, within(EXACT));
        assertThat(m.accuracy()).isCloseTo(2.0 / 3, within(EXACT));
    }

    @Test
    void onlyNegativesLeavesAucAndSensitivityUndefined() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 0}, new float[] {0.9f, 0.2f});

        assertThat(m.auc()).isNaN();
        assertThat(m.sensitivity()).isNaN();
        assertThat(m.specificity()).isEqualTo(0.5);
    }

    @Test
    void aConfidentMistakeGivesALargeButFiniteLoss() {
        BinaryMetrics m = BinaryMetrics.of(new int[] {1, 0}, new float[] {0f, 1f});

        assertThat(m.loss()).isCloseTo(-Math.log(1e-7), within(1e-6)).isCloseTo(16.118, within(1e-3));
    }

    @Test
    void noBagsGivesUndefinedMetrics() {
        BinaryMetrics m = BinaryMetrics.of(new int[0], new float[0]);

        assertThat(m.n()).isZero();
        assertThat(m.auc()).isNaN();
        assertThat(m.accuracy()).isNaN();
        assertThat(m.loss()).isNaN();
    }

    @Test
    void malformedInputIsRefusedWithTheReason() {
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.5f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 labels but 1 probabilities");
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 2}, new float[] {0.5f, 0.5f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label #1 is 2");
        assertThatThrownBy(() -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.5f, Float.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("probability #1 is NaN");
    }
    // labels and probabilities for the operating-point tests, sorted by probability:
    // 0.9 (1), 0.7 (1), 0.6 (0), 0.55 (1), 0.5 (0), 0.4 (1), 0.3 (0), 0.1 (0)
    private static final int[] LABELS = {1, 1, 1, 0, 0, 0, 1, 0};
    private static final float[] PROBS = {0.9f, 0.7f, 0.4f, 0.6f, 0.3f, 0.1f, 0.55f, 0.5f};

    @Test
    void confusionMatrixAndRatesAtTheDefaultThresholdCountABagOnTheThresholdAsPositive() {
        BinaryMetrics m = BinaryMetrics.of(LABELS, PROBS);

        // called positive (p ≥ 0.5): 0.9, 0.7, 0.55 are positives (TP 3), 0.6, 0.5 negatives (FP 2);
        // called negative: 0.4 a positive (FN 1), 0.3, 0.1 negatives (TN 2)
        assertThat(m.threshold()).isEqualTo(0.5);
        assertThat(m.confusion()).isEqualTo(new ConfusionMatrix(3, 2, 2, 1));
        assertThat(m.sensitivity()).isEqualTo(0.75);
        assertThat(m.specificity()).isEqualTo(0.5);
        assertThat(m.accuracy()).isEqualTo(5.0 / 8);
        assertThat(m.confusion().ppv()).isEqualTo(3.0 / 5);
        assertThat(m.confusion().npv()).isEqualTo(2.0 / 3);
    }

    @Test
    void aHigherThresholdTradesSensitivityForSpecificityAndLeavesAucAndLossAlone() {
        BinaryMetrics at05 = BinaryMetrics.of(LABELS, PROBS, 0.5);
        BinaryMetrics at065 = BinaryMetrics.of(LABELS, PROBS, 0.65);

        // called positive (p ≥ 0.65): 0.9, 0.7, both positives → TP 2, FP 0, TN 4, FN 2
        assertThat(at065.confusion()).isEqualTo(new ConfusionMatrix(2, 0, 4, 2));
        assertThat(at065.sensitivity()).isEqualTo(0.5);
        assertThat(at065.specificity()).isEqualTo(1.0);
        assertThat(at065.accuracy()).isEqualTo(6.0 / 8);
        assertThat(at065.auc()).isEqualTo(at05.auc());
        assertThat(at065.loss()).isEqualTo(at05.loss());
        assertThat(BinaryMetrics.of(LABELS, PROBS, 0.0).confusion()).isEqualTo(new ConfusionMatrix(4, 4, 0, 0));
    }

    @Test
    void anOperatingPointOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> BinaryMetrics.of(LABELS, PROBS, 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threshold is 1.5");
        assertThatThrownBy(() -> BinaryMetrics.of(LABELS, PROBS, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be in [0, 1]");
    }

    @Test
    void metricsRebuiltFromRatesHaveTheDefaultThresholdAndNoCounts() {
        BinaryMetrics m = new BinaryMetrics(10, 0.8, 0.7, 0.6, 0.8, 0.5);

        assertThat(m.threshold()).isEqualTo(BinaryMetrics.THRESHOLD);
        assertThat(m.confusion()).isNull();
        assertThat(m.summary()).isEqualTo("AUC 0.800, sensitivity 0.60, specificity 0.80 at threshold 0.50");
    }

    @Test
    void theSummaryLineReadsAsAClinicianExpects() {
        BinaryMetrics m = new BinaryMetrics(51, 0.9123, 43.0 / 51, 22.0 / 25, 21.0 / 26, 0.3, 0.5,
                new ConfusionMatrix(22, 5, 21, 3));

        assertThat(m.summary(new AucInterval(0.851, 0.9695, 2000))).isEqualTo(
                "AUC 0.912 (95% CI 0.85–0.97), sensitivity 0.88, specificity 0.81 at threshold 0.50; "
                        + "TP 22 FP 5 TN 21 FN 3");
        assertThat(BinaryMetrics.of(LABELS, PROBS, 0.65).summary()).isEqualTo(
                "AUC 0.813, sensitivity 0.50, specificity 1.00 at threshold 0.65; TP 2 FP 0 TN 4 FN 2");
        assertThat(BinaryMetrics.of(new int[] {1, 1}, new float[] {0.9f, 0.2f}).summary(new AucInterval(
                Double.NaN, Double.NaN, 2000))).isEqualTo("AUC n/a (needs positive and negative bags), "
                + "sensitivity 0.50, specificity n/a at threshold 0.50; TP 1 FP 0 TN 0 FN 1");
    }

    @Test
    void aucOfTheOperatingPointExampleIsThirteenOfSixteenPairs() {
        // positives against the negatives 0.6, 0.5, 0.3, 0.1: 0.9 → 4 wins, 0.7 → 4, 0.55 → 3, 0.4 → 2; 13 / 16
        assertThat(BinaryMetrics.of(LABELS, PROBS).auc()).isEqualTo(13.0 / 16);
    }

    @Test
    void bootstrapIntervalIsThePercentilesOfStratifiedResampleAucs() {
        Scores s = Scores.synthetic(30, 11);
        int resamples = 500;
        long seed = 99;

        // the definition, computed the slow way: resample each class with replacement, score with of(), sort
        int[] pos = indicesOf(s.labels, 1);
        int[] neg = indicesOf(s.labels, 0);
        Random rng = new Random(seed);
        double[] aucs = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            int[] y = new int[s.labels.length];
            float[] p = new float[s.labels.length];
            int k = 0;
            for (int j = 0; j < neg.length; j++, k++) {
                p[k] = s.probs[neg[rng.nextInt(neg.length)]];
            }
            for (int i = 0; i < pos.length; i++, k++) {
                y[k] = 1;
                p[k] = s.probs[pos[rng.nextInt(pos.length)]];
            }
            aucs[b] = BinaryMetrics.of(y, p).auc();
        }
        Arrays.sort(aucs);
        // numpy.percentile's default: h = (B − 1)·q, interpolate between order statistics ⌊h⌋ and ⌊h⌋ + 1
        double h = (resamples - 1) * 0.025;
        double lower = aucs[(int) h] + (h - (int) h) * (aucs[(int) h + 1] - aucs[(int) h]);
        h = (resamples - 1) * 0.975;
        double upper = aucs[(int) h] + (h - (int) h) * (aucs[(int) h + 1] - aucs[(int) h]);

        AucInterval ci = BinaryMetrics.aucConfidenceInterval(s.labels, s.probs, resamples, seed);
        assertThat(ci.lower()).isCloseTo(lower, within(1e-12));
        assertThat(ci.upper()).isCloseTo(upper, within(1e-12));
        assertThat(ci.resamples()).isEqualTo(resamples);
    }

    @Test
    void bootstrapIntervalContainsThePointAucAndNarrowsAsBagsGrowTenfold() {
        Scores small = Scores.synthetic(20, 5);
        Scores large = Scores.synthetic(200, 5);

        AucInterval smallCi = BinaryMetrics.aucConfidenceInterval(small.labels, small.probs);
        AucInterval largeCi = BinaryMetrics.aucConfidenceInterval(large.labels, large.probs);
        double smallAuc = BinaryMetrics.of(small.labels, small.probs).auc();
        double largeAuc = BinaryMetrics.of(large.labels, large.probs).auc();
        System.out.printf("AUC %.3f %s (40 bags), AUC %.3f %s (400 bags)%n", smallAuc, smallCi, largeAuc, largeCi);

        assertThat(smallCi.contains(smallAuc)).as("%s contains %s", smallCi, smallAuc).isTrue();
        assertThat(largeCi.contains(largeAuc)).as("%s contains %s", largeCi, largeAuc).isTrue();
        // the width shrinks like 1/√n: 10× the bags, about a third of the width
        assertThat(largeCi.width()).isLessThan(smallCi.width() * 0.5).isGreaterThan(smallCi.width() * 0.2);
        assertThat(smallCi.resamples()).isEqualTo(BinaryMetrics.DEFAULT_RESAMPLES);
    }

    @Test
    void perfectlySeparatedScoresGiveTheDegenerateIntervalOneToOne() {
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(new int[] {0, 0, 0, 1, 1}, new float[] {0.1f, 0.2f,
                0.3f, 0.7f, 0.8f});

        assertThat(ci.lower()).isEqualTo(1.0);
        assertThat(ci.upper()).isEqualTo(1.0);
        assertThat(ci).hasToString("95% CI 1.00–1.00");
    }

    @Test
    void theSameSeedGivesTheSameIntervalAndAnotherSeedAnotherOne() {
        Scores s = Scores.synthetic(25, 3);

        AucInterval a = BinaryMetrics.aucConfidenceInterval(s.labels, s.probs, 1000, 7);
        AucInterval b = BinaryMetrics.aucConfidenceInterval(s.labels, s.probs, 1000, 7);
        AucInterval c = BinaryMetrics.aucConfidenceInterval(s.labels, s.probs, 1000, 8);

        assertThat(b).isEqualTo(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void withOneClassAbsentTheIntervalIsUndefinedLikeTheAuc() {
        AucInterval onlyPositives = BinaryMetrics.aucConfidenceInterval(new int[] {1, 1, 1},
                new float[] {0.9f, 0.2f, 0.6f});
        AucInterval noBags = BinaryMetrics.aucConfidenceInterval(new int[0], new float[0]);

        assertThat(onlyPositives.lower()).isNaN();
        assertThat(onlyPositives.upper()).isNaN();
        assertThat(onlyPositives.isDefined()).isFalse();
        assertThat(onlyPositives).hasToString("95% CI n/a");
        assertThat(noBags.isDefined()).isFalse();
    }

    @Test
    void bootstrapRefusesWhatOfRefusesAndTooFewResamples() {
        assertThatThrownBy(() -> BinaryMetrics.aucConfidenceInterval(new int[] {0, 1}, new float[] {0.5f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 labels but 1 probabilities");
        assertThatThrownBy(() -> BinaryMetrics.aucConfidenceInterval(LABELS, PROBS, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resamples is 0");
    }

    @Test
    void tiesAcrossClassesCountOneHalfInEveryResample() {
        // every score tied: each resample's AUC is exactly 0.5
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(new int[] {0, 1, 0, 1}, new float[] {0.4f, 0.4f, 0.4f,
                0.4f});

        assertThat(ci.lower()).isEqualTo(0.5);
        assertThat(ci.upper()).isEqualTo(0.5);
    }

    private static int[] indicesOf(int[] labels, int label) {
        return java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
    }

    /** A fixed synthetic score set: perClass negatives then perClass positives, probability sigmoid(N(0,1) + 1.2y). */
    private record Scores(int[] labels, float[] probs) {
        static Scores synthetic(int perClass, long seed) {
            Random rng = new Random(seed);
            int[] y = new int[2 * perClass];
            float[] p = new float[2 * perClass];
            for (int i = 0; i < y.length; i++) {
                y[i] = i < perClass ? 0 : 1;
                p[i] = (float) (1 / (1 + Math.exp(-(rng.nextGaussian() + 1.2 * y[i]))));
            }
            return new Scores(y, p);
        }
    }
}
