package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.train.LossConfig;
import org.junit.jupiter.api.Test;

class LearningCheckTest {

    private static final LossConfig BALANCED = LossConfig.DEFAULT;
    private static final LossConfig UNWEIGHTED = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2.0,
            LossConfig.ClassWeighting.NONE);

    /** perClass negatives then perClass positives scored sigmoid(N(0,1) + 2y): a model that separates them. */
    private static float[] healthy(int[] labels, long seed) {
        Random rng = new Random(seed);
        float[] p = new float[labels.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (1 / (1 + Math.exp(-(rng.nextGaussian() + 2 * labels[i] - 1))));
        }
        return p;
    }

    private static int[] balancedLabels(int n) {
        int[] y = new int[n];
        for (int i = n / 2; i < n; i++) {
            y[i] = 1;
        }
        return y;
    }

    @Test
    void aHealthyModelOnABalancedSetOfFortyBagsRaisesNothing() {
        int[] y = balancedLabels(40);
        float[] p = healthy(y, 1);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(y, p);

        assertThat(LearningCheck.scoredSet("held-out set", y, p, ci, true)).isEmpty();
        assertThat(LearningCheck.trainingLoss(0.41, Math.log(2), 10)).isEmpty();
        assertThat(LearningCheck.site("a", 10, 12)).isEmpty();
    }

    @Test
    void scoresThatDifferOnlyInTheThirdDecimalAreNearConstant() {
        int[] y = balancedLabels(40);
        float[] p = new float[40];
        Random rng = new Random(3);
        for (int i = 0; i < p.length; i++) {
            // labels do move the score, by 0.001: an AUC near 1 that means nothing
            p[i] = (float) (0.5 + 0.001 * y[i] + 0.0002 * rng.nextGaussian());
        }
        assertThat(BinaryMetrics.of(y, p).auc()).isGreaterThan(0.9);

        List<LearningWarning> w = LearningCheck.scoredSet("held-out set", y, p, null, true);

        assertThat(w).extracting(LearningWarning::kind).containsExactly(LearningWarning.Kind.NEAR_CONSTANT_SCORES);
        assertThat(w.get(0).message()).startsWith("held-out set: the model gives every bag nearly the same score")
                .contains("learned nothing").contains("docs/operator-guide.md");
        assertThat(LearningCheck.logitStd(p)).isLessThan(LearningCheck.MIN_LOGIT_STD);
    }

    @Test
    void anUntrainedModelIsNotJudgedOnItsScores() {
        int[] y = balancedLabels(40);
        float[] p = new float[40];
        java.util.Arrays.fill(p, 0.5f);

        assertThat(LearningCheck.scoredSet("held-out set", y, p, null, false)).isEmpty();
        assertThat(LearningCheck.scoredSet("held-out set", y, p, BinaryMetrics.aucConfidenceInterval(y, p), true))
                .extracting(LearningWarning::kind).containsExactly(LearningWarning.Kind.NEAR_CONSTANT_SCORES,
                        LearningWarning.Kind.CHANCE_LEVEL_AUC);
    }

    @Test
    void aSpreadButUninformativeRankingIsAtChanceWhenItsIntervalIncludesOneHalf() {
        // scores unrelated to the labels, as a model that memorised shuffled labels gives on new bags
        int[] y = balancedLabels(60);
        float[] p = new float[60];
        Random rng = new Random(8);
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (1 / (1 + Math.exp(-3 * rng.nextGaussian())));
        }
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(y, p);
        double auc = BinaryMetrics.of(y, p).auc();

        List<LearningWarning> w = LearningCheck.scoredSet("held-out set", y, p, ci, true);

        assertThat(ci.lower()).isLessThanOrEqualTo(0.5);
        assertThat(w).extracting(LearningWarning::kind).containsExactly(LearningWarning.Kind.CHANCE_LEVEL_AUC);
        assertThat(w.get(0).message()).startsWith(String.format(java.util.Locale.ROOT, "held-out set: AUC %.3f "
                + "cannot be told from chance (%s includes 0.5): the model has learned nothing", auc, ci))
                .contains("memorised");
        assertThat(LearningCheck.chanceLevel("held-out set", 0.9, new AucInterval(0.51, 0.99, 2000))).isEmpty();
        assertThat(LearningCheck.chanceLevel("held-out set", Double.NaN, new AucInterval(Double.NaN, Double.NaN,
                2000))).as("undefined is single_class's to say").isEmpty();
    }

    @Test
    void confidentScoresNearZeroAndOneAreSpreadInLogOddsAndNotFlagged() {
        // probabilities 0.9990..0.9999 are within 0.001 of each other but log-odds 6.9..9.2 apart
        float[] p = {0.999f, 0.9995f, 0.9999f, 0.9993f, 0.00001f, 0.0001f};

        assertThat(LearningCheck.nearConstantScores("held-out set", p)).isEmpty();
    }

    @Test
    void logitStdIsThePopulationStandardDeviationOfTheLogOdds() {
        float[] p = {0.5f, (float) (1 / (1 + Math.exp(-2)))}; // log-odds 0 and 2: std 1

        assertThat(LearningCheck.logitStd(p)).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void aTrainingLossAtLnTwoWithBalancedWeightsIsFlaggedAfterFiveEpochsOnly() {
        double constant = LearningCheck.constantPredictorLoss(BALANCED, new LabelCounts(30, 15));
        assertThat(constant).isCloseTo(Math.log(2), within(1e-9));

        assertThat(LearningCheck.trainingLoss(0.687, constant, 4)).as("too early to judge").isEmpty();
        var w = LearningCheck.trainingLoss(0.687, constant, 40);
        assertThat(w).isPresent();
        assertThat(w.get().kind()).isEqualTo(LearningWarning.Kind.LOSS_AT_CONSTANT_PREDICTOR);
        assertThat(w.get().message()).isEqualTo("training loss 0.6870 after 40 epochs is no better than a constant "
                + "guess (0.6931 = ln 2): the model has not fit even its training data; check that the labels "
                + "belong to the bags, train longer or try another learning rate; see \"The model learned nothing\" "
                + "in docs/operator-guide.md");
        // above the constant loss (diverging) is no better
        assertThat(LearningCheck.trainingLoss(0.75, constant, 10)).isPresent();
        // 3 % below is learning, if slowly: 0.640 is crc-nuclei's documented train-local at 10 epochs
        assertThat(LearningCheck.trainingLoss(0.640, constant, 10)).isEmpty();
        assertThat(LearningCheck.trainingLoss(Double.NaN, constant, 10)).isEmpty();
    }

    @Test
    void withoutClassWeightsTheConstantLossIsTheEntropyOfTheLabelPrior() {
        double p = 15.0 / 45;
        double entropy = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));

        assertThat(LearningCheck.constantPredictorLoss(UNWEIGHTED, new LabelCounts(30, 15)))
                .isCloseTo(entropy, within(1e-9)).isCloseTo(0.6365, within(1e-4));
        assertThat(LearningCheck.trainingLoss(0.63, entropy, 10)).isPresent();
        assertThat(LearningCheck.trainingLoss(0.55, entropy, 10)).isEmpty();
    }

    @Test
    void focalAndGceLossesHaveTheirOwnConstantLossBelowLnTwo() {
        LossConfig focal = new LossConfig(LossConfig.Kind.FOCAL, 2.0, LossConfig.ClassWeighting.BALANCED);
        LossConfig gce = new LossConfig(LossConfig.Kind.GCE, 2.0, LossConfig.ClassWeighting.BALANCED);

        // balanced: the best constant is p = ½ by symmetry: focal ¼ ln 2, GCE (1 − ½^0.7) / 0.7
        assertThat(LearningCheck.constantPredictorLoss(focal, new LabelCounts(20, 10)))
                .isCloseTo(0.25 * Math.log(2), within(1e-9));
        assertThat(LearningCheck.constantPredictorLoss(gce, new LabelCounts(20, 10)))
                .isCloseTo((1 - Math.pow(0.5, 0.7)) / 0.7, within(1e-9));
    }

    @Test
    void aSingleClassHasNoConstantLossToCompareWithAndIsNotJudgedByLoss() {
        assertThat(LearningCheck.constantPredictorLoss(BALANCED, new LabelCounts(0, 12))).isZero();
        assertThat(LearningCheck.trainingLoss(0.01, 0, 10)).isEmpty();
    }

    @Test
    void aSetOfOneClassIsFlaggedAndItsAucIsUndefined() {
        int[] y = {1, 1, 1, 1};
        float[] p = {0.2f, 0.9f, 0.4f, 0.7f};

        List<LearningWarning> w = LearningCheck.scoredSet("test set", y, p,
                BinaryMetrics.aucConfidenceInterval(y, p), true);

        assertThat(w).extracting(LearningWarning::kind).containsExactly(LearningWarning.Kind.SINGLE_CLASS,
                LearningWarning.Kind.SMALL_SET);
        assertThat(w.get(0).message()).isEqualTo("test set: all 4 bags are positive, so AUC is undefined (n/a); "
                + "check its labels, or hold out bags of both classes (a split stratified by label keeps both)");
        assertThat(w.get(1).message()).startsWith("small test set: n=4, AUC CI is wide;");
        assertThat(BinaryMetrics.of(y, p).auc()).isNaN();
    }

    @Test
    void aSiteWithOneClassIsFlaggedByName() {
        var w = LearningCheck.site("site-b", 17, 0);

        assertThat(w).isPresent();
        assertThat(w.get().kind()).isEqualTo(LearningWarning.Kind.SITE_SINGLE_CLASS);
        assertThat(w.get().message()).startsWith("site site-b: all 17 of its bags are negative;");
        assertThat(LearningCheck.site("site-c", 0, 0)).as("nothing known, nothing said").isEmpty();
    }

    @Test
    void aSetOfTwentyFiveBagsIsSmallAndQuotesItsInterval() {
        int[] y = balancedLabels(25);
        float[] p = healthy(y, 7);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(y, p);

        List<LearningWarning> w = LearningCheck.scoredSet("held-out set", y, p, ci, true);

        assertThat(w).extracting(LearningWarning::kind).containsExactly(LearningWarning.Kind.SMALL_SET);
        assertThat(w.get(0).message()).startsWith("small held-out set: n=25, AUC CI is wide (" + ci + ")");
        assertThat(LearningCheck.smallSet("held-out set", 30, ci)).as("30 bags are enough").isEmpty();
    }

    @Test
    void theWarningKindsHaveStableSnakeCaseCodes() {
        assertThat(java.util.Arrays.stream(LearningWarning.Kind.values()).map(LearningWarning.Kind::code))
                .containsExactly("single_class", "site_single_class", "near_constant_scores", "chance_level_auc",
                        "loss_at_constant_predictor", "small_set");
        assertThat(LearningWarning.Kind.fromCode("small_set")).isEqualTo(LearningWarning.Kind.SMALL_SET);
    }
}
