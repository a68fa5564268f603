package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.Schedule;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weak-supervision toolbox over real mutual TLS: a coordinator configured for AdamW, a cosine schedule, bags
 * per step, label smoothing and GCE tells a real site agent so in every train task, with the round's place in the
 * schedule, and the federation trains to the end with them.
 */
class TrainingToolboxEndToEndIT {

    /** Every task the coordinator sends, in order. */
    static final class TaskRecorder implements ServerInterceptor {
        final List<Task> tasks = Collections.synchronizedList(new ArrayList<>());

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(R message) {
                    if (message instanceof Task t) {
                        tasks.add(t);
                    }
                    super.sendMessage(message);
                }
            }, headers);
        }
    }

    @Test
    void everyTrainTaskCarriesTheToolboxAndItsRoundsPlaceInTheSchedule(@TempDir Path dir) throws Exception {
        TaskRecorder recorder = new TaskRecorder();
        Path data = TestFederation.synthetic(dir, 1, 60, 40);
        CoordinatorConfig.Training training = new CoordinatorConfig.Training(1, 0.002, 0.01, 42L, "gce", null, null,
                null, null, "adamw", null, null, 3, 0.1, 0.6,
                new Schedule("cosine", 1.0, 0.0001, null, null, null));
        try (TestFederation fed = new TestFederation(dir, data, 1, 3,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null), training, recorder)) {
            var config = fed.siteConfig("site-1", fed.site("site-1"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                assertThat(agent.run()).as(out.toString(StandardCharsets.UTF_8)).isZero();
            }
            assertThat(fed.coordinator.run().phase()).isEqualTo(FederationRun.Phase.FINISHED);
            assertThat(fed.coordinator.run().history()).hasSize(4);

            List<Task> train = recorder.tasks.stream().filter(Task::hasTrain).toList();
            assertThat(train.stream().map(t -> t.getTrain().getRound()).distinct().toList()).containsExactly(1, 2, 3);
            for (Task t : train) {
                TrainingConfig c = t.getTrain().getConfig();
                assertThat(c.getOptimizer()).isEqualTo("adamw");
                assertThat(c.getBagsPerStep()).isEqualTo(3);
                assertThat(c.getLoss()).isEqualTo("gce");
                assertThat(c.getGceQ()).isEqualTo(0.6);
                assertThat(c.getLabelSmoothing()).isEqualTo(0.1);
                assertThat(c.getLearningRate()).isEqualTo(0.002);
                assertThat(c.getSchedule().getKind()).isEqualTo("cosine");
                assertThat(c.getSchedule().getWarmupRounds()).isEqualTo(1.0);
                assertThat(c.getSchedule().getMinLearningRate()).isEqualTo(0.0001);
                assertThat(c.getSchedule().getRound()).isEqualTo(t.getTrain().getRound());
                assertThat(c.getSchedule().getTotalRounds()).isEqualTo(3);
            }
        }
    }
}
