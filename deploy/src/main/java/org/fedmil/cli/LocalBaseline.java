package org.fedmil.cli;

import ai.djl.Device;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ConcatenatedBags;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.mil.train.StepRates;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingResult;

/**
 * The single-party arms of {@code fedmil train-local}: one site's folder alone, or several pooled (the centralised
 * bound). It trains exactly as the benchmarks' simulation does for the same arms (same seeds, schedule and options),
 * so a train-local number sits next to a benchmark table's; it lives here because the installed package ships
 * without the benchmarks.
 *
 * @param schedule     constant or cosine over {@code epochs}, each epoch in the role of a federated round
 * @param bagsPerStep  bags averaged into one optimiser step
 */
record LocalBaseline(ModelSpec spec, Device device, long seed, int epochs, double learningRate, double weightDecay,
                     LossConfig loss, BagAugmentation augmentation, OptimizerConfig optimizer,
                     LearningRateSchedule schedule, int bagsPerStep) {

    LocalBaseline {
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be 1 or more, got " + epochs);
        }
        if (bagsPerStep < 1) {
            throw new IllegalArgumentException("--bags-per-step must be 1 or more, got " + bagsPerStep);
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
        return train(site.bags(), site.labelCounts());
    }

    /** One model on all sites' bags pooled. The caller closes the model. */
    Trained centralised(List<BagDataset> sites) {
        long negatives = 0;
        long positives = 0;
        for (BagDataset site : sites) {
            negatives += site.labelCounts().negatives();
            positives += site.labelCounts().positives();
        }
        return train(new ConcatenatedBags(sites.stream().map(BagDataset::bags).toList()),
                new LabelCounts(negatives, positives));
    }

    private Trained train(List<Bag> bags, LabelCounts counts) {
        MilModel model = MilModel.create(spec, device, seed);
        try {
            StepRates rates = schedule.kind() != LearningRateSchedule.Kind.COSINE ? null
                    : (step, steps) -> schedule.cosineRate(learningRate, (double) step / steps * epochs, epochs);
            TrainingOptions options = new TrainingOptions(epochs, learningRate, weightDecay, seed * 1_000_003L + 7,
                    loss.forSite(counts), augmentation).withOptimizer(optimizer).withBagsPerStep(bagsPerStep)
                    .withRates(rates);
            TrainingResult result = new LocalTrainer().train(model, bags, options);
            return new Trained(model, result, counts);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
