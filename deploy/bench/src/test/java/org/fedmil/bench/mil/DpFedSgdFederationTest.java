package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.FedOpt;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.junit.jupiter.api.Test;

class DpFedSgdFederationTest {

    private final SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(3)
            .withBags(40, 60).withSeed(9));

    private List<BagDataset> sites() {
        return data.sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList();
    }

    private DpFedSgdFederation federation(int rounds, ModelSpec spec) {
        Recipe recipe = new Recipe(rounds, 1, 1e-2, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        return new DpFedSgdFederation(spec, Engine.getInstance().defaultDevice(), recipe, 42, ValidationSplit.NONE);
    }

    @Test
    void withoutNoiseThreeSitesMoveTheModelAsOneSiteHoldingAllTheirBagsWould() {
        List<BagDataset> sites = sites();
        List<Bag> pooled = new ArrayList<>();
        sites.forEach(s -> pooled.addAll(s.bags()));
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        DpFedSgd dp = new DpFedSgd(1.0, 0, 1.0, 3);
        // FedAvg of one pseudo-delta: plain server steps at rate 1, so the released sums are compared directly
        try (MilModel federated = federation(3, spec).run(sites, dp, new FedAvg(), n -> { }).model();
             MilModel alone = federation(3, spec).run(List.of(BagDataset.of("pooled", pooled)), dp, new FedAvg(),
                     n -> { }).model();
             MilModel initial = MilModel.create(spec, 42)) {
            float[] a = flatten(federated);
            float[] b = flatten(alone);
            float[] start = flatten(initial);
            double moved = 0;
            double apart = 0;
            for (int i = 0; i < a.length; i++) {
                moved = Math.max(moved, Math.abs(b[i] - start[i]));
                apart = Math.max(apart, Math.abs(a[i] - b[i]));
            }
            assertThat(moved).as("the model moved").isGreaterThan(1e-2);
            // only the randomised rounding differs: at most a grid unit (C·2^−15) per bag, over the lot, per round
            assertThat(apart).isLessThan(3 * Math.scalb(1.0, -15) + 1e-6);
        }
    }

    @Test
    void modestDistributedNoiseStillLearnsTheSyntheticProblemAndIsChargedAtLeastSigma() {
        List<BagDataset> sites = sites();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        DpFedSgd dp = new DpFedSgd(1.0, 0.5, 1.0, 3);
        List<Double> norms = new ArrayList<>();
        DpFedSgdFederation.Outcome o = federation(40, spec).run(sites, dp,
                new FedOpt(FedOpt.Kind.ADAM, 3e-2, 0.9, 0.99, 1e-3), norms::add);
        try (MilModel model = o.model(); MilModel initial = MilModel.create(spec, 42)) {
            List<Bag> heldout = data.heldout().dataset().bags();
            double before = initial.evaluate(heldout).auc();
            double after = model.evaluate(heldout).auc();
            System.out.printf("DP-FedSGD synthetic AUC: initial %.3f, after 40 rounds at σ 0.5 %.3f%n", before, after);
            // seeded: 0.76 from 0.49 when this was written; a broken step or noise far above σ·C stays near 0.5
            assertThat(after).isGreaterThan(before + 0.15);
            assertThat(o.centralNoiseMultiplier()).isGreaterThanOrEqualTo(0.5).isCloseTo(0.5, within(1e-6));
            assertThat(norms).hasSize(40 * 3);
            assertThat(o.validation()).as("no validation bags kept").isEmpty();
        }
    }

    private static float[] flatten(MilModel model) {
        List<NamedTensor> t = model.weights().tensors();
        int n = t.stream().mapToInt(NamedTensor::size).sum();
        float[] out = new float[n];
        int at = 0;
        for (NamedTensor x : t) {
            System.arraycopy(x.values(), 0, out, at, x.size());
            at += x.size();
        }
        return out;
    }
}
