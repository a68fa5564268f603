package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The round logic without a network: what sites are told, what is accepted, what the model becomes. */
class FederationRunTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final Duration NO_WAIT = Duration.ZERO;

    private final List<TensorSet> evaluated = Collections.synchronizedList(new ArrayList<>());
    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    private final List<UpdateRefusal> refusals = Collections.synchronizedList(new ArrayList<>());
    private final List<String> shortRounds = Collections.synchronizedList(new ArrayList<>());
    private final List<RunState> states = Collections.synchronizedList(new ArrayList<>());
    private final List<RunState> byUpdate = Collections.synchronizedList(new ArrayList<>());

    private org.fedmil.coordinator.aggregate.Strategy aggregators = new FedAvg();

    private FederationRun newRun(int minSites, int rounds) {
        return newRun(minSites, rounds, RoundRules.waitForAll(minSites), null);
    }

    /** A deadline no test waits for: tests call deadlinePassed themselves, so nothing depends on timing. */
    private static RoundRules rules(int minUpdates, RoundRules.ShortRound onShort) {
        return new RoundRules(minUpdates, 3_600_000, onShort, 10.0);
    }

    private FederationRun newRun(int minSites, int rounds, RoundRules rules, Resume resume) {
        GlobalModel initial = GlobalModel.of(0, SPEC, weights(1f, 1f));
        run = new FederationRun(new FederationPlan("test", minSites, rounds, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, rules), initial, resume, w -> {
                    evaluated.add(w);
                    return BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f});
                }, aggregators, new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        completed.add(result);
                    }

                    @Override
                    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                        refusals.add(kind);
                    }

                    @Override
                    public void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
                        shortRounds.add(round + "/" + attempt + (retried ? " retried" : " skipped"));
                    }

                    @Override
                    public void stateChanged(RunState state) {
                        states.add(state);
                    }

                    @Override
                    public void stateChangedByUpdate(RunState state) {
                        byUpdate.add(state);
                        states.add(state);
                    }
                });
        run.start();
        return run;
    }

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    private static IncomingUpdate update(int round, long base, TensorSet delta, long bags) {
        byte[] bytes = TensorCodec.encode(delta);
        return new IncomingUpdate(round, base, Sha256.of(bytes), bags, 0.5, delta.specs(), bytes);
    }

    private static Status.Code refusal(Runnable r) {
        try {
            r.run();
        } catch (FederationException e) {
            return e.code();
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void sitesWaitUntilMinSitesHaveJoined() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOf(Task.Wait.class);
        run.join("b", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class, t -> {
            assertThat(t.round()).isEqualTo(1);
            assertThat(t.model().version()).isZero();
        });
    }

    @Test
    void aRoundAveragesTheUpdatesByBagCountAndStartsTheNext() throws Exception {
        newRun(2, 2);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        assertThat(run.nextTask("a", NO_WAIT)).as("a waits for b").isInstanceOf(Task.Wait.class);
        run.submit("b", update(1, 0, weights(-1f, 2f), 3));

        Task next = run.nextTask("a", Duration.ofSeconds(10));
        assertThat(next).isInstanceOfSatisfying(Task.Train.class, t -> {
            assertThat(t.round()).isEqualTo(2);
            assertThat(t.model().version()).isEqualTo(1);
            // Σ nΔ / Σ n = ([1,0]·1 + [-1,2]·3) / 4 = [-0.5, 1.5]
            assertThat(t.model().weights().get("w").values()).containsExactly(0.5f, 2.5f);
        });
        // round 2 opens as soon as model v1 is made; round 1's record follows once v1 is saved and evaluated
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(completed).extracting(RoundResult::round).containsExactly(0, 1);
        assertThat(completed.get(1).trainingBags()).isEqualTo(4);
        assertThat(completed.get(1).sites()).containsExactly("a", "b");
    }

    @Test
    void anAcceptedUpdateThatLeavesTheRoundOpenIsAStateChangeThatMayBeWrittenLaterAndTheLastOneIsATransition()
            throws Exception {
        newRun(2, 2);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        assertThat(byUpdate).hasSize(1);
        assertThat(byUpdate.get(0).submitted()).containsOnlyKeys("a");
        assertThat(byUpdate.get(0).phase()).isEqualTo(FederationRun.Phase.TRAINING);

        int before = states.size();
        run.submit("b", update(1, 0, weights(-1f, 2f), 3));
        // the round's last update ends training: it must be on disk before the receipt, so not a background one
        assertThat(byUpdate).hasSize(1);
        List<RunState> written;
        synchronized (states) { // the closer thread may be adding the round's next states meanwhile
            written = new ArrayList<>(states.subList(before, states.size()));
        }
        assertThat(written).anySatisfy(s -> {
            assertThat(s.phase()).isEqualTo(FederationRun.Phase.AGGREGATING);
            assertThat(s.submitted()).containsOnlyKeys("a", "b");
        });
    }

    @Test
    void aDeltaWhoseHashDoesNotMatchIsRefusedAndChangesNothing() throws Exception {
        newRun(1, 1);
        run.join("a", JOIN);
        IncomingUpdate good = update(1, 0, weights(1f, 1f), 5);
        byte[] tampered = good.bytes().whole().clone();
        tampered[0] ^= 1;
        IncomingUpdate bad = new IncomingUpdate(1, 0, good.declaredSha256(), 5, 0.5, good.tensors(), tampered);

        assertThat(refusal(() -> run.submit("a", bad))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(run.nextTask("a", NO_WAIT)).as("the site is still asked for its update").isInstanceOf(Task.Train.class);
        assertThat(run.currentModel().version()).isZero();

        run.submit("a", good);
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(2f, 2f);
    }

    @Test
    void refusesASecondUpdateFromTheSameSite() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 5));
        assertThat(refusal(() -> run.submit("a", update(1, 0, weights(9f, 9f), 5)))).isEqualTo(Status.Code.ALREADY_EXISTS);
        run.submit("b", update(1, 0, weights(1f, 1f), 5));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(2f, 2f);
    }

    @Test
    void refusesSitesThatNeverJoined() {
        newRun(1, 1);
        assertThat(refusal(() -> run.submit("mallory", update(1, 0, weights(1f, 1f), 5))))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void refusesUpdatesForAnotherRoundOrBaseVersion() {
        newRun(1, 2);
        run.join("a", JOIN);
        assertThat(refusal(() -> run.submit("a", update(2, 0, weights(1f, 1f), 5)))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refusal(() -> run.submit("a", update(1, 3, weights(1f, 1f), 5)))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void refusesTensorsOfAnotherShapeAndNonFiniteValues() {
        newRun(1, 1);
        run.join("a", JOIN);
        TensorSet wrongShape = new TensorSet(List.of(new NamedTensor("w", new long[] {1, 2}, new float[] {1f, 1f})));
        assertThatThrownBy(() -> run.submit("a", update(1, 0, wrongShape, 5)))
                .isInstanceOf(FederationException.class).hasMessageContaining("w[1, 2]").hasMessageContaining("expected w[2]");
        assertThatThrownBy(() -> run.submit("a", update(1, 0, weights(Float.NaN, 1f), 5)))
                .hasMessageContaining("NaN");
        assertThat(run.currentModel().version()).isZero();
    }

    @Test
    void afterTheLastRoundEverySiteEvaluatesThenStops() throws Exception {
        newRun(1, 1);
        run.join("a", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 5));
        Task t = run.nextTask("a", Duration.ofSeconds(10));
        assertThat(t).isInstanceOfSatisfying(Task.Evaluate.class, e -> assertThat(e.model().version()).isEqualTo(1));
        run.reportEvaluation("a", new SiteEvaluation(1, BinaryMetrics.of(new int[] {0, 1}, new float[] {0.1f, 0.9f})));
        assertThat(run.nextTask("a", Duration.ofSeconds(10))).isInstanceOf(Task.Stop.class);
        assertThat(run.awaitSitesStopped(Duration.ofSeconds(5))).isTrue();
        assertThat(evaluated).as("initial model and round 1 evaluated on the held-out set").hasSize(2);
    }

    @Test
    void aSiteLeavingDuringTheFinalEvaluationEndsItOnceEveryRemainingSiteHasReported() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 5));
        run.submit("b", update(1, 0, weights(1f, 1f), 5));
        assertThat(run.nextTask("a", Duration.ofSeconds(10))).isInstanceOf(Task.Evaluate.class);
        run.reportEvaluation("a", new SiteEvaluation(1, BinaryMetrics.of(new int[] {0, 1}, new float[] {0.1f, 0.9f})));

        run.leave("b", "shutting down for maintenance");

        // held until the finish, which follows round 1's record if that is still being written
        assertThat(run.nextTask("a", Duration.ofSeconds(10))).isInstanceOf(Task.Stop.class);
        assertThat(run.awaitSitesStopped(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void atTheDeadlineARoundWithMinUpdatesIsAggregatedAndTheStragglerIsRefusedThenJoinsTheNextRound() throws Exception {
        newRun(3, 2, rules(2, RoundRules.ShortRound.RETRY), null);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.join("c", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        run.submit("b", update(1, 0, weights(3f, 0f), 1));

        run.deadlinePassed(1, 1);

        assertThat(run.currentModel().version()).isEqualTo(1);
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(3f, 1f);
        assertThat(completed.get(1).sites()).containsExactly("a", "b");
        FederationException late = catchFederationException(() -> run.submit("c", update(1, 0, weights(9f, 9f), 1)));
        assertThat(late.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(late.refusal()).isEqualTo(UpdateRefusal.ROUND_CLOSED);
        assertThat(late.getMessage()).contains("round 1 is closed").contains("too late");
        assertThat(run.nextTask("c", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class,
                t -> assertThat(t.round()).isEqualTo(2));
        assertThat(refusals).containsExactly(UpdateRefusal.ROUND_CLOSED);
    }

    @Test
    void aRoundShortOfMinUpdatesAtItsDeadlineIsRetriedFromTheSameModelAndNeverAggregated() throws Exception {
        newRun(2, 1, rules(2, RoundRules.ShortRound.RETRY), null);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(5f, 5f), 1));

        run.deadlinePassed(1, 1);

        assertThat(run.currentModel().version()).as("one update is too few: nothing aggregated").isZero();
        assertThat(completed).extracting(RoundResult::round).containsExactly(0);
        assertThat(shortRounds).containsExactly("1/1 retried");
        assertThat(run.nextTask("a", NO_WAIT)).as("a's update is asked for again").isInstanceOfSatisfying(
                Task.Train.class, t -> assertThat(t.round()).isEqualTo(1));
        run.deadlinePassed(1, 1); // the first attempt's deadline again: stale, nothing happens
        assertThat(shortRounds).hasSize(1);

        run.submit("a", update(1, 0, weights(1f, 1f), 1));
        run.submit("b", update(1, 0, weights(1f, 1f), 1));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(run.currentModel().weights().get("w").values()).as("only the retry's updates count")
                .containsExactly(2f, 2f);
        assertThat(completed).extracting(RoundResult::round).containsExactly(0, 1);
    }

    @Test
    void aRoundShortOfMinUpdatesIsSkippedWhenSoConfiguredAndTheNextStartsFromTheSameModel() throws Exception {
        newRun(2, 2, rules(2, RoundRules.ShortRound.SKIP), null);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(5f, 5f), 1));

        run.deadlinePassed(1, 1);

        assertThat(run.skippedRounds()).containsExactly(1);
        assertThat(run.nextTask("b", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class, t -> {
            assertThat(t.round()).isEqualTo(2);
            assertThat(t.model().version()).isZero();
        });
        assertThat(states.get(states.size() - 1).skippedRounds()).containsExactly(1);
    }

    @Test
    void aConfiguredDeadlineClosesTheRoundOnItsOwn() throws Exception {
        newRun(2, 2, new RoundRules(1, 200, RoundRules.ShortRound.SKIP, 10.0), null);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 1f), 1));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertThat(completed.get(1).sites()).containsExactly("a");
    }

    @Test
    void aRetriedUploadOfTheSameBytesReturnsTheOriginalReceiptAndCountsOnce() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        IncomingUpdate u = update(1, 0, weights(1f, 1f), 5);
        FederationRun.UploadAccepted first = run.submit("a", u);
        FederationRun.UploadAccepted again = run.submit("a", u);
        assertThat(again).isEqualTo(first);
        assertThat(run.updatesReceived()).isEqualTo(1);
        assertThat(catchFederationException(() -> run.submit("a", update(1, 0, weights(2f, 2f), 5))).refusal())
                .isEqualTo(UpdateRefusal.DUPLICATE);
    }

    @Test
    void anUpdateBeyondABufferingStrategysBoundIsRefusedAndRecordedAndTheOthersStay() throws Exception {
        aggregators = org.fedmil.coordinator.aggregate.RobustStrategy.median(2);
        newRun(3, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.join("c", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        run.submit("b", update(1, 0, weights(3f, 0f), 1));
        FederationException e = catchFederationException(() -> run.submit("c", update(1, 0, weights(2f, 2f), 5)));
        assertThat(e.refusal()).isEqualTo(UpdateRefusal.AGGREGATOR_FULL);
        assertThat(e.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("strategy.max_buffered_updates");
        assertThat(refusals).containsExactly(UpdateRefusal.AGGREGATOR_FULL);
        assertThat(run.updatesReceived()).isEqualTo(2);
    }

    @Test
    void anUpdateWhoseL2NormExceedsTheBoundIsRefused() {
        newRun(1, 1, rules(1, RoundRules.ShortRound.RETRY), null);
        run.join("a", JOIN);
        FederationException e = catchFederationException(() -> run.submit("a", update(1, 0, weights(8f, 6.1f), 5)));
        assertThat(e.refusal()).isEqualTo(UpdateRefusal.NORM_EXCEEDED);
        assertThat(e.getMessage()).contains("L2 norm 10.06").contains("limits.max_update_l2_norm");
        run.submit("a", update(1, 0, weights(6f, 8f - 0.01f), 5)); // just inside the bound
        assertThat(refusals).containsExactly(UpdateRefusal.NORM_EXCEEDED);
    }

    @Test
    void aRequestWrongInStateAndContentGetsTheStateRefusalAsBefore() {
        newRun(1, 2);
        run.join("a", JOIN);
        // round 2 is not open and the delta is NaN: the round is what the site hears about
        assertThat(catchFederationException(() -> run.submit("a", update(2, 0, weights(Float.NaN, 1f), 5))).refusal())
                .isEqualTo(UpdateRefusal.ROUND_CLOSED);
        assertThat(catchFederationException(() -> run.submit("a", update(1, 3, weights(Float.NaN, 1f), 5))).refusal())
                .isEqualTo(UpdateRefusal.STALE_BASE_MODEL);
        assertThat(catchFederationException(() -> run.submit("a", update(1, 0, weights(Float.NaN, 1f), 5))).refusal())
                .isEqualTo(UpdateRefusal.NON_FINITE);
    }

    @Test
    void aResumedRunTakesUpAfterTheLastCompletedRoundWithoutRecordingAnythingAgain() throws Exception {
        GlobalModel v1 = GlobalModel.of(1, SPEC, weights(4f, 4f));
        BinaryMetrics m = BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f});
        RoundResult r0 = new RoundResult(0, 0, "00", List.of(), 0, Double.NaN, m, 0);
        RoundResult r1 = new RoundResult(1, 1, Sha256.hex(v1.sha256()), List.of("a"), 5, 0.5, m, 0);
        newRun(1, 3, RoundRules.waitForAll(1), new Resume(List.of(r0, r1), List.of(2), v1));

        assertThat(completed).as("nothing re-recorded at start").isEmpty();
        assertThat(evaluated).as("nothing re-evaluated at start").isEmpty();
        assertThat(run.phase()).isEqualTo(FederationRun.Phase.WAITING_FOR_SITES);
        run.join("a", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).as("round 1 done, round 2 skipped: round 3 from v1")
                .isInstanceOfSatisfying(Task.Train.class, t -> {
                    assertThat(t.round()).isEqualTo(3);
                    assertThat(t.model().version()).isEqualTo(1);
                });
        run.submit("a", update(3, 1, weights(1f, 1f), 5));
        assertThat(run.awaitModelVersion(2, Duration.ofSeconds(10))).isTrue();
        assertThat(completed).extracting(RoundResult::round).containsExactly(3);
        assertThat(run.history()).extracting(RoundResult::round).containsExactly(0, 1, 3);
    }

    @Test
    void pausedNoRoundStartsAndNoTrainTaskIsHandedOutUntilResume() throws Exception {
        newRun(2, 2);
        assertThat(run.pause()).isTrue();
        assertThat(run.pause()).as("already paused").isFalse();
        run.join("a", JOIN);
        run.join("b", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Wait.class,
                w -> assertThat(w.reason()).isEqualTo("paused by the operator"));
        assertThat(run.phase()).isEqualTo(FederationRun.Phase.WAITING_FOR_SITES);
        assertThat(run.currentRound()).isZero();

        assertThat(run.resume()).isTrue();
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class,
                t -> assertThat(t.round()).isEqualTo(1));
    }

    @Test
    void pausedMidRoundUploadsUnderWayAreAcceptedTheRoundClosesAndTheNextWaitsForResume() throws Exception {
        newRun(2, 2, rules(2, RoundRules.ShortRound.RETRY), null);
        run.join("a", JOIN);
        run.join("b", JOIN);
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOf(Task.Train.class);
        assertThat(run.nextTask("b", NO_WAIT)).isInstanceOf(Task.Train.class);
        run.pause();
        assertThat(run.nextTask("b", NO_WAIT)).as("no train task while paused").isInstanceOf(Task.Wait.class);
        assertThat(run.siteViews()).extracting(FederationRun.SiteView::state).containsExactly("training", "training");

        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        assertThat(run.siteViews()).extracting(FederationRun.SiteView::state).containsExactly("submitted", "training");
        // the deadline of a paused round waits for the resume instead of retrying or skipping it
        run.deadlinePassed(1, 1);
        assertThat(shortRounds).isEmpty();
        run.submit("b", update(1, 0, weights(1f, 0f), 1));
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();

        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOf(Task.Wait.class);
        assertThat(run.currentRound()).as("round 2 has not opened").isEqualTo(1);
        assertThat(run.siteViews()).extracting(FederationRun.SiteView::updatesAccepted).containsExactly(1, 1);
        run.resume();
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Train.class,
                t -> assertThat(t.round()).isEqualTo(2));
    }

    @Test
    void aSiteThatLeavesIsListedAsLeftAndItsHeldPollEnds() throws Exception {
        newRun(2, 1);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, weights(1f, 0f), 1));
        java.util.concurrent.CompletableFuture<Object> held = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return run.nextTask("a", Duration.ofSeconds(20));
            } catch (RuntimeException e) {
                return e;
            } catch (InterruptedException e) {
                return e;
            }
        });
        // orders events, not a wait for a condition the run shows: lets the poll be held before the site leaves
        Thread.sleep(200);
        run.leave("a", "revoked");
        Object answer = held.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer).isInstanceOfSatisfying(FederationException.class,
                e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(run.siteViews()).extracting(FederationRun.SiteView::state).containsExactly("training", "left");
    }

    private static FederationException catchFederationException(Runnable r) {
        try {
            r.run();
        } catch (FederationException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }
}
