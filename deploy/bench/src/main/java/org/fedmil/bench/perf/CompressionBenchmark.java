package org.fedmil.bench.perf;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.bench.mil.Recipe;
import org.fedmil.bench.mil.Simulation;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;

/**
 * What compressed deltas save and what they cost. The same FedAvg federation (the demo's
 * synthetic data and model, 3 sites) runs with float32, float16 and int8 deltas — encoded at each site with
 * error feedback and decoded before aggregation, the production codec — for several seeds; the figures are
 * the upload bytes per round against float32's and the held-out AUC against float32's on the same seed.
 */
public final class CompressionBenchmark implements PerfBenchmark {

    @Override
    public String id() {
        return "compression";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int seeds = context.pick(3, 1);
        Recipe recipe = new Recipe(context.pick(10, 2), 2, 1e-3, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        List<Figure> figures = new ArrayList<>();
        double[][] auc = new double[DeltaEncoding.values().length][seeds];
        ModelSpec spec = null;
        List<List<BagDataset>> sitesBySeed = new ArrayList<>();
        List<BagDataset> heldouts = new ArrayList<>();
        for (int k = 0; k < seeds; k++) {
            SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSeed(42 + k)
                    .withBags(context.pick(160, 30), context.pick(200, 40)));
            sitesBySeed.add(data.sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList());
            heldouts.add(data.heldout().dataset());
            spec = new ModelSpec(Architecture.ATTENTION, data.config().dim(), 64, 32);
        }
        for (DeltaEncoding e : DeltaEncoding.values()) {
            for (int k = 0; k < seeds; k++) {
                Simulation sim = new Simulation(spec, Device.cpu(), recipe, 42 + k);
                try (MilModel m = sim.federated(sitesBySeed.get(k), new FedAvg(), List.of(),
                        Optional.empty(), n -> { }, (r, g) -> { }, e)) {
                    auc[e.ordinal()][k] = m.evaluate(heldouts.get(k).bags()).auc();
                }
                context.out().printf(Locale.ROOT, "%s seed %d: held-out AUC %.4f%n", e.configName(), 42 + k,
                        auc[e.ordinal()][k]);
            }
        }
        int sites = sitesBySeed.get(0).size();
        long plain = sites * DeltaCodec.byteSize(specsOf(spec), DeltaEncoding.FLOAT32);
        String how = sites + " sites, " + recipe.rounds() + " rounds × " + recipe.localEpochs()
                + " local epochs, synthetic data (seeds 42.." + (42 + seeds - 1) + "), attention MLP hidden 64; "
                + "error feedback at each site; mean over seeds";
        for (DeltaEncoding e : List.of(DeltaEncoding.FLOAT16, DeltaEncoding.INT8)) {
            long bytes = sites * DeltaCodec.byteSize(specsOf(spec), e);
            figures.add(new Figure("compression.bytes_per_round." + e.configName(),
                    "upload bytes per round, " + e.configName(), bytes, "B", plain, "float32 deltas", Double.NaN,
                    false, sites + " sites × one delta of " + spec.inputDim() + "→64→32 attention MIL"));
            figures.add(new Figure("compression.auc." + e.configName(), "held-out AUC with " + e.configName()
                    + " deltas", mean(auc[e.ordinal()]), "AUC", mean(auc[DeltaEncoding.FLOAT32.ordinal()]),
                    "float32 deltas, same seeds", Double.NaN, true, how + "; per seed " + perSeed(auc, e)));
        }
        return figures;
    }

    private static List<org.fedmil.tensor.TensorSpec> specsOf(ModelSpec spec) {
        try (MilModel m = MilModel.create(spec, Device.cpu(), 0)) {
            return m.weights().specs();
        }
    }

    private static String perSeed(double[][] auc, DeltaEncoding e) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < auc[0].length; k++) {
            b.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f vs %.4f",
                    auc[e.ordinal()][k], auc[DeltaEncoding.FLOAT32.ordinal()][k]));
        }
        return b.toString();
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
