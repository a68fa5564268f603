package org.fedmil.mil.train;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.ValidationCriterion;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;

/**
 * Early stopping of one party's training on its validation bags: after every epoch the model is scored on them,
 * the weights of the best epoch by a {@link ValidationCriterion} (the lowest validation loss unless told otherwise)
 * are kept, and training stops once {@code patience} epochs in a row have not beaten it (never before
 * {@code minEpochs}, nor while the best model has not beaten a constant guess, see
 * {@link ValidationCriterion#learned}). {@link #restoreBest()} puts the best weights back.
 */
public final class ValidatedTraining implements EpochListener {

    /** One epoch's numbers, as printed. */
    public record Epoch(int epoch, double trainLoss, ValidationMetrics validation, boolean best) {
    }

    private final MilModel model;
    private final List<Bag> validation;
    private final int patience;
    private final int minEpochs;
    private final Consumer<Epoch> report;
    private final ValidationCriterion criterion;
    private ValidationMetrics best;
    private TensorSet bestWeights;
    private int bestEpoch;
    private int lastEpoch;

    /**
     * @param patience  epochs without a lower validation loss before stopping; 0 never stops early (the best
     *                  weights are still kept)
     * @param minEpochs no stop before this epoch
     * @param report    told of every epoch (for a progress line)
     */
    public ValidatedTraining(MilModel model, List<Bag> validation, int patience, int minEpochs,
                             Consumer<Epoch> report) {
        this(model, validation, patience, minEpochs, report, ValidationCriterion.LOSS);
    }

    /** @param criterion what makes an epoch's model better than the best so far */
    public ValidatedTraining(MilModel model, List<Bag> validation, int patience, int minEpochs,
                             Consumer<Epoch> report, ValidationCriterion criterion) {
        if (validation.isEmpty()) {
            throw new IllegalArgumentException("early stopping needs validation bags; there are none");
        }
        if (patience < 0 || minEpochs < 0) {
            throw new IllegalArgumentException("patience and min epochs must be 0 or more, got " + patience + " and "
                    + minEpochs);
        }
        this.model = model;
        this.validation = validation;
        this.patience = patience;
        this.minEpochs = minEpochs;
        this.report = report;
        this.criterion = criterion;
    }

    @Override
    public boolean afterEpoch(int epoch, int epochs, double trainLoss) {
        lastEpoch = epoch;
        ValidationMetrics v = ValidationMetrics.of(model, validation);
        boolean improved = criterion.better(v, best);
        if (improved) {
            best = v;
            bestEpoch = epoch;
            bestWeights = model.weights();
        }
        report.accept(new Epoch(epoch, trainLoss, v, improved));
        return patience == 0 || epoch < minEpochs || epoch - bestEpoch < patience || !criterion.learned(best);
    }

    /** Puts the weights of the best epoch back into the model; returns that epoch (0 if none ran). */
    public int restoreBest() {
        if (bestWeights != null) {
            model.setWeights(bestWeights);
        }
        return bestEpoch;
    }

    public int bestEpoch() {
        return bestEpoch;
    }

    /** The best epoch's validation loss as the criterion measures it (the balanced loss for balanced_loss). */
    public double bestLoss() {
        return best == null ? Double.POSITIVE_INFINITY : criterion.lossOf(best);
    }

    /** What makes an epoch's model better here. */
    public ValidationCriterion criterion() {
        return criterion;
    }

    /** The last epoch trained. */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** "epoch 3/40: train loss 0.6123, val loss 0.5890, val auc 0.8125 *" (the star marks a new best). */
    public static String line(Epoch e, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f, val loss %.4f, val auc %s%s", e.epoch(),
                epochs, e.trainLoss(), e.validation().loss(), e.validation().auc().isPresent()
                        ? String.format(Locale.ROOT, "%.4f", e.validation().auc().getAsDouble()) : "n/a",
                e.best() ? " *" : "");
    }
}
