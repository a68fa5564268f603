package org.fedmil.cli;

import ai.djl.Device;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.DiskBackedBags;
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

    /** One site training by itself. The caller closes the model. */
    MilModel localOnly(BagDataset site) {
        return train(site.bags(), site.labelCounts());
    }

    /** One model on all sites' bags pooled. The caller closes the model. */
    MilModel centralised(List<BagDataset> sites) {
        long negatives = 0;
        long positives = 0;
        for (BagDataset site : sites) {
            negatives += site.labelCounts().negatives();
            positives += site.labelCounts().positives();
        }
        return train(new PooledBags(sites.stream().map(BagDataset::bags).toList()),
                new LabelCounts(negatives, positives));
    }

    private MilModel train(List<Bag> bags, LabelCounts counts) {
        MilModel model = MilModel.create(spec, device, seed);
        try {
            StepRates rates = schedule.kind() != LearningRateSchedule.Kind.COSINE ? null
                    : (step, steps) -> schedule.cosineRate(learningRate, (double) step / steps * epochs, epochs);
            TrainingOptions options = new TrainingOptions(epochs, learningRate, weightDecay, seed * 1_000_003L + 7,
                    loss.forSite(counts), augmentation).withOptimizer(optimizer).withBagsPerStep(bagsPerStep)
                    .withRates(rates);
            new LocalTrainer().train(model, bags, options);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Several sites' bag lists seen as one without copying: tile datasets read a bag from disk on access, so the
     * pooled set stays as lazy as its parts (and is marked as read from disk, so the trainer keeps prefetching).
     */
    private static final class PooledBags extends AbstractList<Bag> implements RandomAccess, DiskBackedBags {

        private final List<List<Bag>> parts;
        private final int size;

        PooledBags(List<List<Bag>> parts) {
            this.parts = List.copyOf(parts);
            this.size = parts.stream().mapToInt(List::size).sum();
        }

        @Override
        public Bag get(int index) {
            if (index < 0 || index >= size) {
                throw new IndexOutOfBoundsException(index + " of " + size);
            }
            int i = index;
            for (List<Bag> part : parts) {
                if (i < part.size()) {
                    return part.get(i);
                }
                i -= part.size();
            }
            throw new IllegalStateException("unreachable: index " + index + " within size " + size);
        }

        @Override
        public int size() {
            return size;
        }
    }
}
