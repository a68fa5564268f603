package org.fedmil.bench.mil;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleConsumer;
import org.fedmil.coordinator.aggregate.FedOpt;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.data.ValidationSplit.Parts;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.DpFedSgdStep;
import org.fedmil.mil.train.GradientNoise;
import org.fedmil.mil.train.GradientGrid;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * DP-FedSGD with the noise distributed under secure aggregation, as the sites and the coordinator compute it, less
 * the masks (they cancel exactly in Z_2^64, so leaving them out changes no bit of the sum): every round each site
 * computes its {@link DpFedSgdStep.Share} at the global model, the shares are summed with wrap-around, and the
 * coordinator turns the sum into a pseudo-delta ({@link DpFedSgd#pseudoDelta}: minus the noised gradient sum over
 * the expected lot) and applies it with its server optimiser, FedAdam ({@link FedOpt}). Every site survives every
 * round. The lots, rounding and noise are seeded from the split seed, site and round: for measuring utility only.
 * The last model is kept (choosing a round on the sites' unnoised validation scores would spend privacy).
 */
final class DpFedSgdFederation {

    /** What a run gave: the model (the caller closes it), the smallest z′ of its rounds, its validation scores. */
    record Outcome(MilModel model, double centralNoiseMultiplier, Optional<ValidationMetrics> validation) {
    }

    private final ModelSpec spec;
    private final Device device;
    private final Recipe recipe;
    private final long seed;
    private final ValidationSplit split;
    private final DpFedSgdStep step = new DpFedSgdStep();

    DpFedSgdFederation(ModelSpec spec, Device device, Recipe recipe, long seed, ValidationSplit split) {
        this.spec = spec;
        this.device = device;
        this.recipe = recipe;
        this.seed = seed;
        this.split = split;
    }

    /** {@code recipe.rounds()} rounds of DP-FedSGD over {@code sites}, the server step by {@code server}. */
    Outcome run(List<BagDataset> sites, DpFedSgd dp, Strategy server, DoubleConsumer bagNorms) {
        List<Parts> parts = new ArrayList<>();
        LabelCounts federation = new LabelCounts(0, 0);
        long totalBags = 0;
        for (BagDataset site : sites) {
            Parts p = split.split(site);
            parts.add(p);
            federation = federation.plus(p.trainingCounts());
            totalBags += p.training().size();
        }
        MilModel model = MilModel.create(spec, device, seed);
        try {
            TensorSet global = model.weights();
            List<TensorSpec> specs = global.specs();
            double central = Double.POSITIVE_INFINITY;
            for (int round = 1; round <= recipe.rounds(); round++) {
                server.beginRound(specs);
                long[] sum = null;
                GradientGrid grid = null;
                for (int s = 0; s < parts.size(); s++) {
                    model.setWeights(global);
                    long trainingSeed = seed * 1_000_003L + s * 31L + round;
                    // one objective over the pooled patients: every site weighs the classes by the federation's counts
                    TrainingOptions options = new TrainingOptions(1, recipe.learningRate(), 0, trainingSeed,
                            recipe.loss().forSite(federation, federation), recipe.augmentation());
                    DpFedSgdStep.Share share = step.compute(model, parts.get(s).training(), options, dp,
                            GradientNoise.seeded(trainingSeed * 7919L + 31));
                    bagNorms.accept(share.medianBagGradientNorm());
                    grid = share.grid();
                    if (sum == null) {
                        sum = share.units().clone();
                    } else {
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += share.units()[i]; // wraps as the ring does
                        }
                    }
                }
                central = Math.min(central, dp.centralNoiseMultiplier(grid, sum.length));
                server.accept(unflatten(dp.pseudoDelta(sum, grid, totalBags), specs), 1);
                global = server.finish(global);
            }
            model.setWeights(global);
            Optional<ValidationMetrics> validation = validation(model, parts);
            return new Outcome(model, central, validation);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static TensorSet unflatten(float[] flat, List<TensorSpec> specs) {
        List<NamedTensor> out = new ArrayList<>(specs.size());
        int at = 0;
        for (TensorSpec s : specs) {
            int n = Math.toIntExact(NamedTensor.elementCount(s.shape()));
            float[] values = new float[n];
            System.arraycopy(flat, at, values, 0, n);
            at += n;
            out.add(new NamedTensor(s.name(), s.shape(), values));
        }
        return new TensorSet(out);
    }

    private static Optional<ValidationMetrics> validation(MilModel model, List<Parts> parts) {
        FederatedValidation.Sum sum = new FederatedValidation.Sum();
        boolean any = false;
        for (Parts p : parts) {
            if (!p.validation().isEmpty()) {
                sum.add(Optional.of(ValidationMetrics.of(model, p.validation())));
                any = true;
            }
        }
        return any ? sum.of(0, 0).map(FederatedValidation::metrics) : Optional.empty();
    }
}
