package org.fedmil.cli;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ConcatenatedBags;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.eval.ValidationCriterion;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.mil.train.StepRates;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.mil.train.ValidatedTraining;
import org.fedmil.mil.train.TrainingResult;

/**
 * The single-party arms of {@code fedmil train-local}: one site's folder alone, or several pooled (the centralised
 * bound). It trains exactly as the benchmarks' simulation does for the same arms (same seeds, schedule and options),
 * so a train-local number sits next to a benchmark table's; it lives here because the installed package ships
 * without the benchmarks.
 *
 * @param schedule     constant or cosine over {@code epochs}, each epoch in the role of a federated round
 * @param bagsPerStep  bags averaged into one optimiser step
 * @param stopping     the validation bags each folder keeps back and when they stop training; {@code epochs} is
 *                     then a maximum
 * @param progress     told one line per epoch (train loss, validation loss and AUC)
 * @param models       makes the untrained model: {@code spec}'s, or one that fine-tunes an encoder's block
 */
record LocalBaseline(ModelSpec spec, Device device, long seed, int epochs, double learningRate, double weightDecay,
                     LossConfig loss, BagAugmentation augmentation, OptimizerConfig optimizer,
                     LearningRateSchedule schedule, int bagsPerStep, Stopping stopping, Consumer<String> progress,
                     java.util.function.Supplier<MilModel> models) {

    /**
     * Validation and early stopping: each folder keeps back {@code split}'s share of each class, as a site of a
     * federation with the same validation settings would; training stops after {@code patience} epochs without a
     * lower validation loss (0: runs every epoch), not before {@code minEpochs}, and the best epoch's weights are
     * restored.
     */
    record Stopping(ValidationSplit split, int patience, int minEpochs) {
        static final Stopping OFF = new Stopping(ValidationSplit.NONE, 0, 0);
    }

    LocalBaseline {
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be 1 or more, got " + epochs);
        }
        if (bagsPerStep < 1) {
            throw new IllegalArgumentException("--bags-per-step must be 1 or more, got " + bagsPerStep);
        }
        if (stopping.patience() < 0 || stopping.minEpochs() < 0) {
            throw new IllegalArgumentException("--patience and --min-epochs must be 0 or more, got "
                    + stopping.patience() + " and " + stopping.minEpochs());
        }
        schedule.problemFor(epochs, learningRate).ifPresent(p -> {
            throw new IllegalArgumentException(p);
        });
    }

    /**
     * A trained model with the last epoch's training loss and the label counts it trained on, for the checks of
     * {@link org.fedmil.mil.eval.LearningCheck}. The caller closes the model.
     */
    record Trained(MilModel model, TrainingResult result, LabelCounts counts) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /** One site training by itself. The caller closes the model. */
    Trained localOnly(BagDataset site) {
        return centralised(List.of(site));
    }

    /** One model on all sites' bags pooled (each folder split as a site would split it). The caller closes it. */
    Trained centralised(List<BagDataset> sites) {
        List<List<Bag>> training = new ArrayList<>();
        List<List<Bag>> validation = new ArrayList<>();
        LabelCounts counts = new LabelCounts(0, 0);
        for (BagDataset site : sites) {
            ValidationSplit.Parts p = stopping.split().split(site);
            training.add(p.training());
            validation.add(p.validation());
            counts = counts.plus(p.trainingCounts());
        }
        List<Bag> valBags = new ConcatenatedBags(validation);
        return train(training.size() == 1 ? training.get(0) : new ConcatenatedBags(training), counts, valBags);
    }

    /** Bags each folder keeps back for validation, in total. */
    int validationBags(List<BagDataset> sites) {
        return sites.stream().mapToInt(s -> stopping.split().split(s).validation().size()).sum();
    }

    private Trained train(List<Bag> bags, LabelCounts counts, List<Bag> validation) {
        MilModel model = models.get();
        try {
            StepRates rates = schedule.kind() != LearningRateSchedule.Kind.COSINE ? null
                    : (step, steps) -> schedule.cosineRate(learningRate, (double) step / steps * epochs, epochs);
            TrainingOptions options = new TrainingOptions(epochs, learningRate, weightDecay, seed * 1_000_003L + 7,
                    loss.forSite(counts), augmentation).withOptimizer(optimizer).withBagsPerStep(bagsPerStep)
                    .withRates(rates);
            if (validation.isEmpty()) {
                return new Trained(model, new LocalTrainer().train(model, bags, options), counts);
            }
            ValidatedTraining stopper = new ValidatedTraining(model, validation, stopping.patience(),
                    stopping.minEpochs(), e -> progress.accept(ValidatedTraining.line(e, epochs)),
                    ValidationCriterion.matching(loss.classWeighting()));
            TrainingResult result = new LocalTrainer().train(model, bags, options, TrainingProgress.NONE, stopper);
            int best = stopper.restoreBest();
            progress.accept(String.format(java.util.Locale.ROOT, "%s after epoch %d of %d; kept the weights of "
                            + "epoch %d (lowest validation %s %.4f)",
                    stopper.lastEpoch() < epochs ? "stopped early" : "trained", stopper.lastEpoch(), epochs, best,
                    stopper.criterion().configName().replace('_', ' '), stopper.bestLoss()));
            return new Trained(model, result, counts);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
