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
import org.fedmil.coordinator.dashboard.DashboardState;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The run's side of a coordinator restart, without a network: what a restarted run takes from the state it is
 * resumed with (a finish, the sites joined before), and what a site is told in the last round.
 */
class RunAcrossRestartsTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final GlobalModel V0 = GlobalModel.of(0, SPEC, new TensorSet(List.of(new NamedTensor("w",
            new long[] {2}, new float[] {1f, 1f}))));
    private static final RoundResult R0 = new RoundResult(0, 0, Sha256.hex(V0.sha256()), List.of(), 0, Double.NaN,
            BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), 0.1);

    private final List<UpdateRefusal> refusals = Collections.synchronizedList(new ArrayList<>());
    private final List<RunState> states = Collections.synchronizedList(new ArrayList<>());
    private FederationRun run;

    @AfterEach
    void close() throws InterruptedException {
        run.close();
    }

    private FederationRun newRun(int minSites, int rounds, boolean siteEvaluation, Resume resume) {
        run = new FederationRun(new FederationPlan("test", minSites, rounds, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), siteEvaluation,
                RoundRules.waitForAll(minSites)), V0, resume,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                        refusals.add(kind);
                    }

                    @Override
                    public void stateChanged(RunState state) {
                        states.add(state);
                    }
                });
        run.start();
        return run;
    }

    @Test
    void aRunResumedFromAFinishedStateStaysFinishedAndRefusesJoinsWithTheReason() {
        newRun(1, 8, true, new Resume(List.of(R0), List.of(), V0, "aborted by admin 'alice': wrong labels",
                List.of("site-a"), List.of("site-a", "site-b")));

        assertThat(run.phase()).isEqualTo(Phase.FINISHED);
        assertThat(run.view().finishReason()).isEqualTo("aborted by admin 'alice': wrong labels");
        assertThatThrownBy(() -> run.join("site-a", JOIN)).isInstanceOfSatisfying(FederationException.class, e -> {
            assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getMessage()).contains("has finished (aborted by admin 'alice': wrong labels)");
        });
        RunState saved = states.get(states.size() - 1);
        assertThat(saved.phase()).isEqualTo(Phase.FINISHED);
        assertThat(saved.finishReason()).isEqualTo("aborted by admin 'alice': wrong labels");
        // the dashboard shows what the run publishes: finished, with its reason
        DashboardState page = new DashboardState("test", 8, 1, java.time.Clock.systemUTC());
        page.follow(run::view);
        assertThat(page.snapshot().phase()).isEqualTo("FINISHED");
        assertThat(page.snapshot().finished()).isEqualTo("aborted by admin 'alice': wrong labels");
    }

    @Test
    void aSiteJoinedBeforeTheRestartIsAskedToJoinAgainAndNotCountedAsRefused() {
        newRun(2, 8, true, new Resume(List.of(R0), List.of(), V0, null, List.of("site-a"), List.of("site-a")));

        assertThatThrownBy(() -> run.requireUploadable("site-a", 1)).isInstanceOfSatisfying(
                FederationException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.refusal()).isNull();
                    assertThat(e.getMessage()).contains("joined before the coordinator restarted");
                });
        assertThatThrownBy(() -> run.nextTask("site-a", Duration.ZERO)).isInstanceOf(FederationException.class);
        // a site this federation never had is still refused as not joined
        assertThatThrownBy(() -> run.requireUploadable("site-x", 1)).isInstanceOfSatisfying(
                FederationException.class, e -> assertThat(e.refusal()).isEqualTo(UpdateRefusal.NOT_JOINED));
        run.refused("site-x", 1, UpdateRefusal.NOT_JOINED.because("test"));
        assertThat(refusals).containsExactly(UpdateRefusal.NOT_JOINED);

        run.join("site-a", JOIN);
        assertThat(run.isJoined("site-a")).isTrue();
        assertThat(run.knownSites()).containsExactly("site-a");
        RunState saved = states.get(states.size() - 1);
        assertThat(saved.joinedSites()).containsExactly("site-a");
        assertThat(saved.knownSites()).containsExactly("site-a");
    }

    @Test
    void aSiteThatJoinsDuringTheLastRoundIsNotPromisedARoundAfterIt() throws InterruptedException {
        newRun(1, 1, false, null);
        run.join("site-a", JOIN);
        run.join("site-b", JOIN);

        Task task = run.nextTask("site-b", Duration.ZERO);
        assertThat(task).isInstanceOf(Task.Wait.class);
        assertThat(((Task.Wait) task).reason()).contains("round 1 is the last, so no further round follows",
                "told to stop when the federation finishes").doesNotContain("round 2");
        assertThatThrownBy(() -> run.requireUploadable("site-b", 1)).hasMessageContaining("round 1 is the last")
                .hasMessageNotContaining("next round");
    }

    @Test
    void withSiteEvaluationALateSiteOfTheLastRoundIsToldItEvaluatesTheFinalModel() throws InterruptedException {
        newRun(1, 2, true, null);
        run.join("site-a", JOIN);
        run.join("site-b", JOIN);
        assertThat(((Task.Wait) run.nextTask("site-b", Duration.ZERO)).reason()).contains("takes part from round 2");
        run.close();

        newRun(1, 1, true, null);
        run.join("site-a", JOIN);
        run.join("site-b", JOIN);
        assertThat(((Task.Wait) run.nextTask("site-b", Duration.ZERO)).reason())
                .contains("round 1 is the last", "it evaluates the final model");
    }
}
