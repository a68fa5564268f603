package org.fedmil.coordinator.eval;

import java.util.List;
import org.fedmil.coordinator.round.HeldOutEvaluation;
import org.fedmil.coordinator.round.HeldOutReport;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;

/** Evaluates global models on the coordinator's held-out bags with one DJL model kept for the whole run. */
public final class DjlHeldOutEvaluation implements HeldOutEvaluation, AutoCloseable {

    private final MilModel model;
    private final List<Bag> bags;

    public DjlHeldOutEvaluation(MilModel model, List<Bag> bags) {
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("the held-out set has no bags");
        }
        this.model = model;
        // not copied: a tile data set's list reads each bag from disk when asked, and a copy would hold them all
        this.bags = bags;
    }

    @Override
    public synchronized BinaryMetrics evaluate(TensorSet weights) {
        model.setWeights(weights);
        return model.evaluate(bags);
    }

    /** The bags scored once: metrics, the AUC's bootstrap interval and the checks all come from those scores. */
    @Override
    public synchronized HeldOutReport report(TensorSet weights, boolean trained) {
        model.setWeights(weights);
        MilModel.Scores s = model.score(bags);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(s.labels(), s.probabilities());
        return new HeldOutReport(BinaryMetrics.of(s.labels(), s.probabilities()), ci,
                LearningCheck.scoredSet(SET, s.labels(), s.probabilities(), ci, trained));
    }

    @Override
    public void close() {
        model.close();
    }
}
