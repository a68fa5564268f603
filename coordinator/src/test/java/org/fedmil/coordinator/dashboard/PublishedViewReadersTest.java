package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the metrics, once they follow a run, show its published view: the same phase, round and joined
 * sites as the operator's status, though they were told no event of the run.
 */
class PublishedViewReadersTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));

    private static FederationRun run() {
        GlobalModel initial = GlobalModel.of(0, SPEC,
                new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 1f}))));
        return new FederationRun(new FederationPlan("fed-1", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false, RoundRules.waitForAll(2)),
                initial, w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(),
                new RoundListener() {
                });
    }

    @Test
    void theDashboardShowsThePhaseRoundAndJoinedSitesOfTheRunItFollows() throws Exception {
        try (FederationRun run = run()) {
            run.start();
            DashboardState state = new DashboardState("fed-1", 3, 2, Clock.systemUTC());
            state.follow(run::view);
            assertThat(state.snapshot().phase()).isEqualTo("WAITING_FOR_SITES");

            run.join("a", JOIN);
            run.join("b", JOIN);

            DashboardState.Snapshot s = state.snapshot();
            assertThat(s.phase()).isEqualTo("TRAINING");
            assertThat(s.currentRound()).isEqualTo(1);
            assertThat(s.joinedSites()).isEqualTo(2);

            run.abort("enough");
            assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
            assertThat(state.snapshot().phase()).isEqualTo("FINISHED");
            assertThat(state.snapshot().finished()).isEqualTo("enough");
        }
    }

    @Test
    void theGaugesShowTheJoinedSitesAndTheLatestRoundOfTheRunTheyFollow() throws Exception {
        try (FederationRun run = run()) {
            FederationMetrics metrics = new FederationMetrics("fed-1");
            metrics.follow(run::view);
            run.start();
            run.join("a", JOIN);
            run.join("b", JOIN);
            run.leave("b", "bye");

            assertThat(metrics.scrape()).contains(
                    "fedmil_sites_connected{federation=\"fed-1\"} 1.0",
                    "fedmil_heldout_auc{federation=\"fed-1\"} 1.0",
                    "fedmil_round_current{federation=\"fed-1\"} 0.0");
        }
    }
}
