package org.fedmil.bench.toolbox;

import ai.djl.Device;
import java.util.List;
import java.util.Optional;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.pseudo.PseudoLabeller;
import org.fedmil.mil.pseudo.PseudoLabels;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.TensorSet;

/**
 * FedAvg over simulated sites in one process, with the production trainer and aggregator, and with what a site
 * agent does for pseudo-labels: each round, each site pseudo-labels its unlabeled bags with the global model it
 * was sent, trains on labelled + confident pseudo-labelled bags, and reports its labelled bag count only as its
 * FedAvg weight (as {@code SiteAgent} does).
 */
final class ToolboxFederation {

    /** Told the global model after every round (round 0 is the initial model). */
    interface Observer {
        void after(int round, MilModel global);
    }

    /** Per round, the pseudo-labels the sites took. */
    interface PseudoObserver {
        void round(int round, int site, BagDataset data, PseudoLabels labels);
    }

    private final ModelSpec spec;
    private final Device device;
    private final int localEpochs;
    private final double learningRate;
    private final double weightDecay;
    private final BagAugmentation augmentation;
    private final LocalTrainer trainer = new LocalTrainer();

    ToolboxFederation(ModelSpec spec, Device device, int localEpochs, double learningRate, double weightDecay,
                      BagAugmentation augmentation) {
        this.spec = spec;
        this.device = device;
        this.localEpochs = localEpochs;
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.augmentation = augmentation;
    }

    /**
     * Runs {@code rounds} rounds from {@code start} (or a fresh model of {@code modelSeed}); returns the final
     * global model, which the caller closes.
     */
    MilModel run(List<BagDataset> sites, int rounds, long modelSeed, Optional<TensorSet> start,
                 Optional<PseudoLabeller> pseudo, Observer observer, PseudoObserver pseudoObserver) {
        MilModel model = MilModel.create(spec, device, modelSeed);
        try {
            start.ifPresent(model::setWeights);
            TensorSet global = model.weights();
            observer.after(0, model);
            FedAvg fedAvg = new FedAvg();
            // what the coordinator sends every site: the participants' labelled bags by class, summed
            LabelCounts federation = sites.stream().map(BagDataset::labelCounts).reduce(LabelCounts::plus)
                    .orElseThrow();
            for (int round = 1; round <= rounds; round++) {
                fedAvg.beginRound(model.weightSpecs());
                for (int s = 0; s < sites.size(); s++) {
                    BagDataset site = sites.get(s);
                    model.setWeights(global);
                    List<Bag> bags = site.bags();
                    if (pseudo.isPresent() && !site.unlabeled().isEmpty()) {
                        PseudoLabels labels = pseudo.get().select(model, site.unlabeled());
                        pseudoObserver.round(round, s, site, labels);
                        bags = labels.appendedTo(bags);
                    }
                    long seed = modelSeed * 1_000_003L + s * 31L + round;
                    trainer.train(model, bags, new TrainingOptions(localEpochs, learningRate, weightDecay, seed,
                            LossConfig.DEFAULT.forSite(site.labelCounts(), federation), augmentation));
                    // the honest weight: labelled bags only, whatever joined training as pseudo-labelled
                    fedAvg.accept(model.weights().minus(global), site.size());
                }
                global = fedAvg.finish(global);
                model.setWeights(global);
                observer.after(round, model);
            }
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
