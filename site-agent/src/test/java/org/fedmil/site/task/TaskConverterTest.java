package org.fedmil.site.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.ContrastivePretraining;
import org.fedmil.proto.v1.EvaluateTask;
import org.fedmil.proto.v1.PretrainTask;
import org.fedmil.proto.v1.SecAggAdvertiseTask;
import org.fedmil.proto.v1.SecAggEncryptedShare;
import org.fedmil.proto.v1.SecAggMaskTask;
import org.fedmil.proto.v1.SecAggParameters;
import org.fedmil.proto.v1.SecAggUnmaskTask;
import org.fedmil.proto.v1.StopTask;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.WaitTask;
import org.fedmil.protocol.Wire;
import org.fedmil.site.policy.PolicyViolation;
import org.junit.jupiter.api.Test;

class TaskConverterTest {

    private static final ModelSpec MODEL = new ModelSpec(Architecture.ATTENTION, 6, 5, 3);
    private static final byte[] SHA = new byte[32];

    private static TrainTask trainTask(int round) {
        return TrainTask.newBuilder().setRound(round).setModelVersion(round - 1)
                .setModelSha256(ByteString.copyFrom(SHA)).setModel(Wire.toProto(MODEL))
                .setConfig(TrainingConfig.newBuilder().setLocalEpochs(2)).build();
    }

    @Test
    void aTrainTaskBecomesTrainWithItsModelAndSettings() {
        SiteTask task = TaskConverter.fromProto(Task.newBuilder().setTrain(trainTask(3)).build(), "fed");

        assertThat(task).isInstanceOfSatisfying(SiteTask.Train.class, t -> {
            assertThat(t.round()).isEqualTo(3);
            assertThat(t.model().version()).isEqualTo(2);
            assertThat(t.model().spec()).isEqualTo(MODEL);
            assertThat(t.config().getLocalEpochs()).isEqualTo(2);
        });
    }

    @Test
    void evaluateWaitAndStopKeepWhatTheyCarry() {
        SiteTask evaluate = TaskConverter.fromProto(Task.newBuilder().setEvaluate(EvaluateTask.newBuilder()
                .setModelVersion(7).setModelSha256(ByteString.copyFrom(SHA)).setModel(Wire.toProto(MODEL))).build(),
                "fed");

        assertThat(evaluate).isInstanceOfSatisfying(SiteTask.Evaluate.class, e -> {
            assertThat(e.model().version()).isEqualTo(7);
            assertThat(e.model().sha256()).isEqualTo(SHA);
        });
        assertThat(TaskConverter.fromProto(Task.newBuilder().setWait(WaitTask.newBuilder().setRetryAfterMs(250)
                .setReason("round 2 is full")).build(), "fed"))
                .isEqualTo(new SiteTask.Wait(250, "round 2 is full"));
        assertThat(TaskConverter.fromProto(Task.newBuilder().setStop(StopTask.newBuilder().setReason("done"))
                .build(), "fed")).isEqualTo(new SiteTask.Stop("done"));
    }

    @Test
    void aWaitOfAPausedFederationSaysSo() {
        SiteTask paused = TaskConverter.fromProto(Task.newBuilder().setWait(WaitTask.newBuilder().setRetryAfterMs(1000)
                .setReason("paused by the operator").setPaused(true)).build(), "fed");

        assertThat(paused).isEqualTo(new SiteTask.Wait(1000, "paused by the operator", true));
        assertThat(new SiteTask.Wait(250, "round 2 is full").paused()).isFalse();
    }

    @Test
    void secureAggregationStepsBecomeDomainRecords() {
        SecAggParameters p = SecAggParameters.newBuilder().setRound(4).setInvitedSites(3).setThreshold(2)
                .setLength(100).setMaxBags(1000).setCoordinateBound(1.0).setFractionalBits(30).build();

        SiteTask advertise = TaskConverter.fromProto(Task.newBuilder().setSecaggAdvertise(
                SecAggAdvertiseTask.newBuilder().setParameters(p)).build(), "fed-x");
        SiteTask mask = TaskConverter.fromProto(Task.newBuilder().setSecaggMask(SecAggMaskTask.newBuilder()
                .setTrain(trainTask(4)).addShares(SecAggEncryptedShare.newBuilder().setFromSite("a").setToSite("b")
                        .setCiphertext(ByteString.copyFromUtf8("x")))).build(), "fed-x");
        SiteTask unmask = TaskConverter.fromProto(Task.newBuilder().setSecaggUnmask(SecAggUnmaskTask.newBuilder()
                .setRound(4).addSurvivors("a").addDropped("c")).build(), "fed-x");

        assertThat(advertise).isInstanceOfSatisfying(SiteTask.SecAggAdvertise.class, a -> {
            assertThat(a.parameters().federationId()).isEqualTo("fed-x");
            assertThat(a.parameters().threshold()).isEqualTo(2);
        });
        assertThat(mask).isInstanceOfSatisfying(SiteTask.SecAggMask.class, m -> {
            assertThat(m.train().round()).isEqualTo(4);
            assertThat(m.shares()).singleElement().satisfies(s -> assertThat(s.from()).isEqualTo("a"));
        });
        assertThat(unmask).isInstanceOfSatisfying(SiteTask.SecAggUnmask.class, u -> {
            assertThat(u.request().survivors()).containsExactly("a");
            assertThat(u.request().dropped()).containsExactly("c");
        });
    }

    @Test
    void unusableSecureAggregationParametersStopTheSiteByPolicy() {
        SecAggParameters bad = SecAggParameters.newBuilder().setRound(4).setInvitedSites(3).setThreshold(5).build();

        assertThatThrownBy(() -> TaskConverter.fromProto(Task.newBuilder().setSecaggAdvertise(
                SecAggAdvertiseTask.newBuilder().setParameters(bad)).build(), "fed"))
                .isInstanceOf(PolicyViolation.class)
                .satisfies(e -> assertThat(((PolicyViolation) e).rule()).isEqualTo("secure_aggregation"));
    }

    @Test
    void aPretrainTaskWithoutItsSettingsIsAnInvalidArgument() {
        PretrainTask bare = PretrainTask.newBuilder().setRound(1).setModel(Wire.toProto(MODEL)).build();
        PretrainTask complete = bare.toBuilder().setConfig(TrainingConfig.newBuilder()
                .setPretraining(ContrastivePretraining.newBuilder().setEpochs(1))).build();

        assertThatThrownBy(() -> TaskConverter.fromProto(Task.newBuilder().setPretrain(bare).build(), "fed"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                        .isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThat(TaskConverter.fromProto(Task.newBuilder().setPretrain(complete).build(), "fed"))
                .isInstanceOf(SiteTask.Pretrain.class);
    }

    @Test
    void aTaskOfUnknownKindAsksForAnUpgrade() {
        assertThatThrownBy(() -> TaskConverter.fromProto(Task.getDefaultInstance(), "fed"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("upgrade the site agent");
    }
}
