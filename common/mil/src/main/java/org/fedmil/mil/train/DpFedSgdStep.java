package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;

/**
 * A site's part of one DP-FedSGD round ({@link DpFedSgd}): the Poisson lot of its bags, each sampled bag's
 * gradient clipped to C and rounded onto the federation's integer grid, summed, and this site's noise share added.
 * The model's weights are not changed: the share is what the site releases (masked, under secure aggregation), and
 * the step is the coordinator's. The share's lot size is not part of it: the coordinator divides by the expected lot.
 */
public final class DpFedSgdStep {

    /**
     * What the site releases, {@code units} (grid units, parameters concatenated in the model's order, its noise
     * share included), and what only it sees: how many bags its lot drew and their gradient norms before clipping.
     */
    public record Share(long[] units, GradientGrid grid, int lot, double medianBagGradientNorm) {
    }

    /**
     * The share of {@code bags} at the model's current weights under the loss {@code loss}; augmentation is
     * {@code options.augmentation()} with {@code options.seed()}.
     */
    public Share compute(MilModel model, List<Bag> bags, TrainingOptions options, DpFedSgd dp, GradientNoise noise) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bags, "bags");
        Objects.requireNonNull(dp, "dp");
        Objects.requireNonNull(noise, "noise");
        if (bags.isEmpty()) {
            throw new IllegalArgumentException("no bags to compute a gradient on; a site needs at least one "
                    + "labelled bag");
        }
        synchronized (LocalTrainer.ENGINE_GRADIENT_LOCK) {
            return computeExclusively(model, bags, options, dp, noise);
        }
    }

    private Share computeExclusively(MilModel model, List<Bag> bags, TrainingOptions options, DpFedSgd dp,
                                     GradientNoise noise) {
        List<NDArray> weights = new ArrayList<>(model.parameterArrays().values());
        long[][] sum = new long[weights.size()][];
        long[][] scratch = new long[weights.size()][];
        long dim = 0;
        for (int p = 0; p < sum.length; p++) {
            sum[p] = new long[Math.toIntExact(weights.get(p).size())];
            scratch[p] = new long[sum[p].length];
            dim += sum[p].length;
        }
        GradientGrid grid = dp.grid(dim);
        List<Double> norms = new ArrayList<>();
        int[] lot = DpSgdTrainer.lot(bags.size(), dp.samplingRate(), noise);
        try (NDManager session = model.manager().newSubManager();
             BagPrefetcher prefetcher = new BagPrefetcher(bags, options.augmentation(), options.seed())) {
            DpSgdTrainer.materialiseGradients(model, bags.get(0), options.loss(), session);
            DpSgdTrainer.zeroGradients(weights);
            for (int index : lot) {
                Bag bag = BagPrefetcher.await(prefetcher.request(0, index));
                LocalTrainer.backward(model, bag, options.loss(), 1, session);
                norms.add(DpSgdTrainer.addClipped(weights, sum, scratch, dp.clipNorm(), grid, noise));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the DP-FedSGD gradient was interrupted", e);
        }
        long[] units = new long[Math.toIntExact(dim)];
        int at = 0;
        for (long[] s : sum) {
            System.arraycopy(s, 0, units, at, s.length);
            at += s.length;
        }
        BigInteger variance = dp.shareVariance(grid);
        if (variance.signum() > 0) {
            // noise is added even when the lot came out empty: skipping it would reveal that no bag was drawn
            noise.addDiscreteGaussian(units, variance);
        }
        return new Share(units, grid, lot.length, DpSgdTrainer.median(norms));
    }
}
