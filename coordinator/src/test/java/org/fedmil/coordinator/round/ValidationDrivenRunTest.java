package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator chooses the model to keep and when to stop from the sites' validation reports alone: the round
 * logic without a network, the real {@link StateStore} for the restart.
 */
class ValidationDrivenRunTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    // declares the 10 bags each of its updates claims: a claim above the declaration is refused
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 6L, 1, 4L));

    @TempDir
    Path dir;

    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private final List<String> finished = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    private static TensorSet weights(float a) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, -a})));
    }

    private static ValidationMetrics val(long neg, long pos, double loss, Double auc) {
        return new ValidationMetrics(neg, pos, loss, auc == null ? OptionalDouble.empty() : OptionalDouble.of(auc));
    }

    private static IncomingUpdate update(int round, long base, ValidationMetrics v) {
        TensorSet delta = weights(0.1f);
        byte[] bytes = TensorCodec.encode(delta);
        IncomingUpdate u = new IncomingUpdate(round, base, Sha256.of(bytes), 10, 0.5, delta.specs(), bytes);
        return v == null ? u : u.withValidation(v);
    }

    /**
     * A held-out set that disagrees with validation: its loss falls with every model version (so a choice by it
     * would be the last model), while the validation losses below are best for an early model.
     */
    private static HeldOutEvaluation heldOutFallingWithVersion(List<Long> seen) {
        return w -> {
            int version = seen.size();
            seen.add((long) version);
            float p = Math.min(0.99f, 0.5f + 0.05f * version);
            return BinaryMetrics.of(new int[] {0, 1}, new float[] {1 - p, p});
        };
    }

    private FederationRun start(int rounds, EarlyStopping rule, Resume resume, StateStore store) {
        FederationPlan plan = new FederationPlan("val", 1, rounds, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
                RoundRules.waitForAll(1)).withEarlyStopping(rule);
        run = new FederationRun(plan, GlobalModel.of(0, SPEC, weights(1f)), resume,
                heldOutFallingWithVersion(new ArrayList<>()), new FedAvg(), new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        completed.add(result);
                        if (store != null) {
                            store.saveModel(model);
                            store.saveRound(result);
                        }
                    }

                    @Override
                    public void finished(String reason) {
                        finished.add(reason);
                    }
                });
        run.start();
        return run;
    }

    /** Runs round r with one site reporting {@code loss} on the model it received. */
    private void round(int r, double loss) throws Exception {
        Task t = run.nextTask("a", Duration.ZERO);
        assertThat(t).as("round %d's task", r).isInstanceOf(Task.Train.class);
        long base = ((Task.Train) t).model().version();
        run.submit("a", update(r, base, val(4, 2, loss, 0.75)));
        assertThat(run.awaitModelVersion(base + 1, Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void theFederatedValidationIsTheBagWeightedMeanOfTheSites() {
        FederatedValidation.Sum sum = new FederatedValidation.Sum();
        sum.add(Optional.of(val(3, 1, 0.2, 0.5)));   // 4 bags
        sum.add(Optional.of(val(10, 2, 0.6, 0.9)));  // 12 bags
        sum.add(Optional.of(val(4, 0, 1.0, null)));  // 4 bags, one class: no AUC
        sum.add(Optional.empty());                    // an older site: no validation
        FederatedValidation v = sum.of(2, 7).orElseThrow();
        assertThat(v.sites()).isEqualTo(3);
        assertThat(v.bags()).isEqualTo(20);
        assertThat(v.loss()).isCloseTo((0.2 * 4 + 0.6 * 12 + 1.0 * 4) / 20, within(1e-12));
        assertThat(v.auc()).isCloseTo((0.5 * 4 + 0.9 * 12) / 16, within(1e-12));
        assertThat(v.aucSites()).isEqualTo(2);
        assertThat(v.modelRound()).isEqualTo(2);
        assertThat(v.modelVersion()).isEqualTo(7);
        assertThat(new FederatedValidation.Sum().of(1, 0)).isEmpty();
    }

    @Test
    void stopsAfterPatienceAndKeepsTheBestValidatedModelWhateverTheHeldOutSays() throws Exception {
        start(20, new EarlyStopping(true, 2, 1), null, null);
        run.join("a", JOIN);
        // round r validates model r-1: best is model 2 (0.40), then two validated models without improvement
        double[] losses = {0.69, 0.50, 0.40, 0.45, 0.41};
        for (int r = 1; r <= losses.length; r++) {
            round(r, losses[r - 1]);
        }
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        assertThat(run.history()).extracting(RoundResult::round).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(finished).singleElement().asString().contains("stopped early after round 5")
                .contains("patience 2");
        FederatedValidation best = ModelChoice.best(run.history()).orElseThrow();
        assertThat(best.modelRound()).isEqualTo(2);
        assertThat(best.loss()).isCloseTo(0.40, within(1e-12));
        // the held-out loss fell with every model: by it the last model would have been kept
        RoundResult lowestHeldOut = run.history().stream()
                .min(java.util.Comparator.comparingDouble(r -> r.heldout().loss())).orElseThrow();
        assertThat(lowestHeldOut.round()).isEqualTo(5);
        assertThat(run.history().get(3).validation().modelVersion()).isEqualTo(run.history().get(2).modelVersion());
    }

    @Test
    void withoutValidationOrBeforeMinRoundsNothingStopsEarly() throws Exception {
        start(4, new EarlyStopping(true, 1, 1), null, null);
        run.join("a", JOIN);
        for (int r = 1; r <= 4; r++) {
            Task t = run.nextTask("a", Duration.ZERO);
            long base = ((Task.Train) t).model().version();
            run.submit("a", update(r, base, null));
            assertThat(run.awaitModelVersion(base + 1, Duration.ofSeconds(10))).isTrue();
        }
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        assertThat(finished).containsExactly("all 4 rounds done");
        assertThat(ModelChoice.best(run.history())).isEmpty();

        List<RoundResult> rising = List.of(result(0, null), result(1, 0.5), result(2, 0.6), result(3, 0.7));
        assertThat(ModelChoice.stopReason(new EarlyStopping(true, 2, 4), rising)).isEmpty();
        assertThat(ModelChoice.stopReason(new EarlyStopping(true, 2, 3), rising)).isPresent();
        assertThat(ModelChoice.stopReason(new EarlyStopping(false, 2, 3), rising)).isEmpty();
    }

    private static RoundResult result(int r, Double loss) {
        return new RoundResult(r, r, "00".repeat(32), List.of(), 10, 0.5,
                new BinaryMetrics(10, 0.8, 0.7, 0.7, 0.7, 0.5), 1.0,
                loss == null ? null : new FederatedValidation(r - 1, r - 1, 1, 6, loss, 0.7, 1));
    }

    @Test
    void aRestartedCoordinatorKeepsTheValidationHistoryAndTheDecisionToStop() throws Exception {
        StateStore store = new StateStore(dir);
        start(20, new EarlyStopping(true, 2, 1), null, store);
        store.saveFederation(run.plan());
        run.join("a", JOIN);
        double[] losses = {0.69, 0.40, 0.45};
        for (int r = 1; r <= losses.length; r++) {
            round(r, losses[r - 1]);
        }
        run.close();
        run = null;

        StateStore reopened = new StateStore(dir);
        assertThat(reopened.rounds().get(0).validation()).isNull();
        double[] expected = {0.69, 0.40, 0.45};
        for (int r = 1; r <= 3; r++) {
            assertThat(reopened.rounds().get(r).validation().loss()).isCloseTo(expected[r - 1], within(1e-12));
            assertThat(reopened.rounds().get(r).validation().modelRound()).isEqualTo(r - 1);
        }
        assertThat(reopened.rounds().get(2).validation().auc()).isCloseTo(0.75, within(1e-12));
        Resume resume = reopened.resume("val", SPEC, weights(1f).specs()).orElseThrow();
        start(20, new EarlyStopping(true, 2, 1), resume, reopened);
        run.join("a", JOIN);
        round(4, 0.50); // second validated model after the best (model 1): the run stops
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        assertThat(finished).last().asString().contains("stopped early after round 4");
        assertThat(ModelChoice.best(run.history()).orElseThrow().modelRound()).isEqualTo(1);

        // and a restart after the stop does not train again
        run.close();
        StateStore third = new StateStore(dir);
        start(20, new EarlyStopping(true, 2, 1), third.resume("val", SPEC, weights(1f).specs()).orElseThrow(), third);
        run.join("a", JOIN);
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        assertThat(finished).last().asString().contains("stopped early after round 4");
    }

    @Test
    void theFinalModelIsValidatedByTheSitesEvaluationReportsAndCanBeTheOneKept() throws Exception {
        List<FederatedValidation> finalValidations = Collections.synchronizedList(new ArrayList<>());
        FederationPlan plan = new FederationPlan("val", 1, 2, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(1))
                .withEarlyStopping(new EarlyStopping(true, 3, 1));
        run = new FederationRun(plan, GlobalModel.of(0, SPEC, weights(1f)), null,
                heldOutFallingWithVersion(new ArrayList<>()), new FedAvg(), new RoundListener() {
                    @Override
                    public void finalModelValidated(FederatedValidation validation) {
                        finalValidations.add(validation);
                    }

                    @Override
                    public void finished(String reason) {
                        finished.add(reason);
                    }
                });
        run.start();
        run.join("a", JOIN);
        round(1, 0.60);
        round(2, 0.50);
        Task evaluate = run.nextTask("a", Duration.ZERO);
        assertThat(evaluate).isInstanceOf(Task.Evaluate.class);
        long finalVersion = run.currentModel().version();
        run.reportEvaluation("a", new SiteEvaluation(finalVersion, new BinaryMetrics(6, 0.9, 0.8, 0.8, 0.8, 0.3),
                Optional.of(val(4, 2, 0.30, 0.9))));
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();

        FederatedValidation last = finalValidations.stream().reduce((a, b) -> {
            throw new AssertionError("told twice");
        }).orElseThrow();
        assertThat(last.modelRound()).isEqualTo(2);
        assertThat(last.modelVersion()).isEqualTo(finalVersion);
        assertThat(ModelChoice.best(run.history()).orElseThrow().modelRound()).as("without it: model 1").isEqualTo(1);
        assertThat(ModelChoice.best(run.history(), Optional.of(last)).orElseThrow().modelRound()).isEqualTo(2);
        assertThat(finished).containsExactly("all 2 rounds done");
    }
}
