package org.fedmil.site.task;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.fedmil.proto.v1.PretrainTask;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.protocol.Wire;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.site.policy.PolicyViolation;

/** The one place where the coordinator's protobuf {@link Task} becomes a {@link SiteTask}. */
public final class TaskConverter {

    private TaskConverter() {
    }

    /**
     * @param federationId the federation this site joined: secure-aggregation parameters are bound to it
     * @throws IllegalStateException when the task is of a kind this agent does not know (a newer coordinator)
     * @throws PolicyViolation       when the coordinator's secure-aggregation parameters are unusable
     */
    public static SiteTask fromProto(Task task, String federationId) {
        return switch (task.getKindCase()) {
            case TRAIN -> train(task.getTrain());
            case PRETRAIN -> pretrain(task.getPretrain());
            case EVALUATE -> new SiteTask.Evaluate(model(task.getEvaluate().getModelVersion(),
                    task.getEvaluate().getModelSha256().toByteArray(), task.getEvaluate().getModel()));
            case SECAGG_ADVERTISE -> new SiteTask.SecAggAdvertise(parameters(task, federationId));
            case SECAGG_SHARE -> new SiteTask.SecAggShare(task.getSecaggShare().getRound(),
                    SecAggWire.roster(task.getSecaggShare().getRosterList()));
            case SECAGG_MASK -> new SiteTask.SecAggMask(train(task.getSecaggMask().getTrain()),
                    SecAggWire.shares(task.getSecaggMask().getSharesList()), task.getSecaggMask().getWeight());
            case SECAGG_CONSISTENCY -> new SiteTask.SecAggConsistency(task.getSecaggConsistency().getRound(),
                    SecAggWire.fromProto(task.getSecaggConsistency()));
            case SECAGG_UNMASK -> new SiteTask.SecAggUnmask(task.getSecaggUnmask().getRound(),
                    SecAggWire.fromProto(task.getSecaggUnmask()),
                    SecAggWire.survivorSignatures(task.getSecaggUnmask()));
            case WAIT -> new SiteTask.Wait(task.getWait().getRetryAfterMs(), task.getWait().getReason(),
                    task.getWait().getPaused());
            case STOP -> new SiteTask.Stop(task.getStop().getReason());
            default -> throw new IllegalStateException("coordinator sent a task this agent does not know: "
                    + task.getKindCase() + "; upgrade the site agent");
        };
    }

    private static SiteTask.Train train(TrainTask t) {
        return new SiteTask.Train(t.getRound(), model(t.getModelVersion(), t.getModelSha256().toByteArray(),
                t.getModel()), t.getConfig());
    }

    private static SiteTask.Pretrain pretrain(PretrainTask t) {
        if (!t.getConfig().hasPretraining()) {
            throw new StatusRuntimeException(Status.INVALID_ARGUMENT.withDescription("the coordinator sent a "
                    + "pretraining task for round " + t.getRound() + " without its pretraining settings"));
        }
        return new SiteTask.Pretrain(t.getRound(), model(t.getModelVersion(), t.getModelSha256().toByteArray(),
                t.getModel()), t.getConfig());
    }

    private static SiteTask.GlobalModel model(long version, byte[] sha, org.fedmil.proto.v1.ModelSpec spec) {
        return new SiteTask.GlobalModel(version, sha, Wire.fromProto(spec), org.fedmil.protocol.FineTuneWire.of(spec));
    }

    private static SecAggParameters parameters(Task task, String federationId) {
        org.fedmil.proto.v1.SecAggParameters p = task.getSecaggAdvertise().getParameters();
        try {
            return SecAggWire.fromProto(p, federationId);
        } catch (IllegalArgumentException e) {
            throw new PolicyViolation("secure_aggregation", "the coordinator's secure-aggregation parameters for "
                    + "round " + p.getRound() + " are unusable: " + e.getMessage());
        }
    }
}
