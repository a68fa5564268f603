package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;

/**
 * The checks of a round's training, beside the held-out set's: a participating site with bags of one class, and a
 * training loss still at the constant predictor's. The sites' own label counts (from their joins) give the
 * constant predictor's loss: each site weighs its loss by its own counts, so the bar is the bag-weighted mean of
 * the sites' own constant losses (ln 2 for every site with balanced class weights).
 */
final class TrainingChecks {

    private TrainingChecks() {
    }

    /**
     * @param sitesBagsPerLabel the participants' bags per label as they joined, by site
     * @param trainLoss         the round's bag-weighted training loss
     */
    static List<LearningWarning> of(FederationPlan plan, int round, Map<String, Map<Integer, Long>> sitesBagsPerLabel,
                                    double trainLoss) {
        List<LearningWarning> warnings = new ArrayList<>();
        LabelCounts federation = new LabelCounts(0, 0);
        for (var site : sitesBagsPerLabel.entrySet()) {
            LabelCounts counts = new LabelCounts(site.getValue().getOrDefault(0, 0L),
                    site.getValue().getOrDefault(1, 0L));
            LearningCheck.site(site.getKey(), counts.negatives(), counts.positives()).ifPresent(warnings::add);
            federation = federation.plus(counts);
        }
        double weightedConstant = 0;
        for (var site : sitesBagsPerLabel.values()) {
            LabelCounts counts = new LabelCounts(site.getOrDefault(0, 0L), site.getOrDefault(1, 0L));
            // each site's loss is weighed by its own counts or by the federation's, as the sites train
            weightedConstant += counts.total() * LearningCheck.constantPredictorLoss(
                    plan.training().loss().forSite(counts, federation), counts.negatives(), counts.positives());
        }
        if (!plan.isPretrainingRound(round) && federation.total() > 0) {
            // a pretraining round's loss is contrastive, not the classifier's
            LearningCheck.trainingLoss(trainLoss, weightedConstant / federation.total(), epochs(plan, round))
                    .ifPresent(warnings::add);
        }
        return warnings;
    }

    /**
     * Whether the model of {@code round} has trained long enough ({@link LearningCheck#MIN_EPOCHS} supervised
     * epochs) for its held-out scores to be judged: earlier models are expected to score bags alike, at chance.
     */
    static boolean judged(FederationPlan plan, int round) {
        return !plan.isPretrainingRound(round) && epochs(plan, round) >= LearningCheck.MIN_EPOCHS;
    }

    /** Supervised local epochs every site has trained by the end of {@code round}. */
    private static double epochs(FederationPlan plan, int round) {
        return (double) Math.max(0, round - plan.pretrainingRounds()) * plan.training().localEpochs();
    }
}
