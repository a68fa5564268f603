package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ConcatenatedBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;
import org.junit.jupiter.api.Test;

class SimulationTest {

    private final SyntheticMilData data = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(2)
            .withBags(80, 120).withSeed(5));

    private List<BagDataset> sites() {
        return data.sites().stream().map(SyntheticMilData.SyntheticSite::dataset).toList();
    }

    @Test
    void federatedAndCentralisedArmsLearnTheSyntheticProblem() {
        List<BagDataset> sites = sites();
        List<Bag> heldout = data.heldout().dataset().bags();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 32, 16);
        Recipe recipe = new Recipe(5, 2, 2e-3, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 42);
        try (MilModel initial = MilModel.create(spec, 42);
             MilModel federated = simulation.federated(sites);
             MilModel centralised = simulation.centralised(sites);
             MilModel local = simulation.localOnly(sites.get(0))) {
            double before = initial.evaluate(heldout).auc();
            double fed = federated.evaluate(heldout).auc();
            double central = centralised.evaluate(heldout).auc();
            System.out.printf("simulation AUC: initial %.3f, federated %.3f, centralised %.3f, local %.3f%n", before,
                    fed, central, local.evaluate(heldout).auc());
            assertThat(fed).isGreaterThan(before + 0.1).isGreaterThan(0.85);
            assertThat(central).isGreaterThan(0.85);
            assertThat(federated.weights()).isNotEqualTo(centralised.weights());
        }
    }

    @Test
    void aDpArmReportsEveryPreClipNormAndHeavyNoiseChangesTheModel() {
        List<BagDataset> sites = sites();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Recipe recipe = new Recipe(2, 1, 2e-3, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 42);
        List<Double> plainNorms = new java.util.ArrayList<>();
        List<Double> dpNorms = new java.util.ArrayList<>();
        try (MilModel plain = simulation.federated(sites, java.util.Optional.empty(), plainNorms::add);
             MilModel again = simulation.federated(sites);
             MilModel noised = simulation.federated(sites, java.util.Optional.of(new Simulation.Dp(0.1, 5)),
                     dpNorms::add)) {
            assertThat(plainNorms).hasSize(2 * 2).allSatisfy(n -> assertThat(n).isPositive());
            assertThat(dpNorms).hasSize(2 * 2);
            // the first round starts from the same model, so its first site's delta is the same with or without DP
            assertThat(dpNorms.get(0)).isEqualTo(plainNorms.get(0));
            assertThat(again.weights()).isEqualTo(plain.weights());
            assertThat(noised.weights()).isNotEqualTo(plain.weights());
        }
    }

    @Test
    void aDpSgdArmWithValidationBagsRunsEveryRoundKeepsItsLastModelAndRecordsItsValidationScores() {
        List<BagDataset> sites = sites();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Recipe recipe = new Recipe(3, 1, 1e-2, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        // patience 0 would stop a selecting arm after its first round without improvement
        Simulation.Stopping stopping = new Simulation.Stopping(
                new org.fedmil.mil.data.ValidationSplit(0.25, 0), 0, 0);
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 42, stopping);
        try (MilModel dp = simulation.federatedDpSgd(sites, new org.fedmil.mil.train.DpSgd(1.0, 1.0, 0.5),
                n -> { }, n -> { })) {
            assertThat(simulation.lastRun().trained()).isEqualTo(3);
            assertThat(simulation.lastRun().kept()).as("the last model, not one chosen on validation").isEqualTo(3);
            org.fedmil.mil.eval.ValidationMetrics v = simulation.lastValidation().orElseThrow();
            assertThat(v.negatives() + v.positives()).as("every site's validation bags").isGreaterThan(10);
            assertThat(v.auc()).isPresent();
        }
    }

    @Test
    void aTracedFederationReportsEveryRoundOnceAndItsKeptValidationIsTheRoundItKept() {
        List<BagDataset> sites = sites();
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, sites.get(0).dim(), 16, 8);
        Recipe recipe = new Recipe(4, 1, 1e-2, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        Simulation.Stopping stopping = new Simulation.Stopping(
                new org.fedmil.mil.data.ValidationSplit(0.25, 0), 10, 0);
        List<Integer> rounds = new java.util.ArrayList<>();
        List<Double> losses = new java.util.ArrayList<>();
        List<org.fedmil.mil.eval.ValidationMetrics> validations = new java.util.ArrayList<>();
        Simulation simulation = new Simulation(spec, Engine.getInstance().defaultDevice(), recipe, 42, stopping)
                .withTrace((round, model, loss, siteLosses, v, siteV) -> {
                    rounds.add(round);
                    losses.add(loss);
                    validations.add(v);
                    assertThat(siteV).hasSize(sites.size()).doesNotContainNull();
                    assertThat(siteLosses).hasSize(round == 0 ? 0 : sites.size());
                });
        try (MilModel model = simulation.federated(sites)) {
            assertThat(rounds).as("the initial model and every round's, each once").containsExactly(0, 1, 2, 3, 4);
            assertThat(losses.get(0)).isNaN();
            assertThat(losses.subList(1, 5)).allSatisfy(l -> assertThat(l).isPositive().isFinite());
            int kept = simulation.lastRun().kept();
            assertThat(simulation.keptValidation()).contains(validations.get(kept));
            // the three-argument Stopping chooses by the plain validation loss
            assertThat(validations).allSatisfy(v -> assertThat(v.loss())
                    .isGreaterThanOrEqualTo(validations.get(kept).loss()));
        }
    }

    @Test
    void theCentralisedArmReadsSitesThroughOneViewWithoutCopyingThem() {
        AtomicInteger reads = new AtomicInteger();
        List<Bag> first = data.sites().get(0).dataset().bags();
        List<Bag> second = data.sites().get(1).dataset().bags();
        List<Bag> a = counting(first, reads);
        List<Bag> b = counting(second, reads);
        ConcatenatedBags all = new ConcatenatedBags(List.of(a, b));

        assertThat(all).hasSize(a.size() + b.size());
        assertThat(reads).hasValue(0);
        assertThat(all.get(a.size())).isSameAs(second.get(0));
        assertThat(all.get(a.size() - 1)).isSameAs(first.get(a.size() - 1));
        assertThat(reads).hasValue(2);
    }

    private static List<Bag> counting(List<Bag> bags, AtomicInteger reads) {
        return new AbstractList<>() {
            @Override
            public Bag get(int i) {
                reads.incrementAndGet();
                return bags.get(i);
            }

            @Override
            public int size() {
                return bags.size();
            }
        };
    }
}
