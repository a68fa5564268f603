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
        double weightedConstant = 0;
        long bags = 0;
        for (var site : sitesBagsPerLabel.entrySet()) {
            LabelCounts counts = new LabelCounts(site.getValue().getOrDefault(0, 0L),
                    site.getValue().getOrDefault(1, 0L));
            LearningCheck.site(site.getKey(), counts.negatives(), counts.positives()).ifPresent(warnings::add);
            weightedConstant += counts.total() * LearningCheck.constantPredictorLoss(plan.training().loss(), counts);
            bags += counts.total();
        }
        if (!plan.isPretrainingRound(round) && bags > 0) {
            // a pretraining round's loss is contrastive, not the classifier's
            double epochs = (double) (round - plan.pretrainingRounds()) * plan.training().localEpochs();
            LearningCheck.trainingLoss(trainLoss, weightedConstant / bags, epochs).ifPresent(warnings::add);
        }
        return warnings;
    }
}
