package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.Task;
import org.fedmil.proto.v1.ContrastivePretraining;
import org.fedmil.proto.v1.DifferentialPrivacy;
import org.fedmil.proto.v1.EvaluateTask;
import org.fedmil.proto.v1.PretrainTask;
import org.fedmil.proto.v1.SecAggAdvertiseTask;
import org.fedmil.proto.v1.SecAggMaskTask;
import org.fedmil.proto.v1.SecAggShareTask;
import org.fedmil.proto.v1.SignedLogHead;
import org.fedmil.proto.v1.StopTask;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.WaitTask;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.protocol.Wire;

/**
 * A round's task as the protocol's Task message: the model to train from and the federation's training
 * configuration, with this round's learning rate.
 */
final class TaskMessages {

    private final FederationRun run;
    private final AuditTrail audit;

    TaskMessages(FederationRun run, AuditTrail audit) {
        this.run = run;
        this.audit = audit;
    }

    /** The task as the site receives it; every task but a wait carries the round log's signed head. */
    org.fedmil.proto.v1.Task toProto(Task task) {
        org.fedmil.proto.v1.Task.Builder b = org.fedmil.proto.v1.Task.newBuilder();
        if (task instanceof Task.Train t) {
            b.setTrain(trainTask(t));
        } else if (task instanceof Task.SecAggAdvertise a) {
            b.setSecaggAdvertise(SecAggAdvertiseTask.newBuilder().setParameters(SecAggWire.toProto(a.parameters())));
        } else if (task instanceof Task.SecAggShare sh) {
            SecAggShareTask.Builder share = SecAggShareTask.newBuilder().setRound(sh.round());
            sh.roster().forEach(k -> share.addRoster(SecAggWire.toProto(k)));
            b.setSecaggShare(share);
        } else if (task instanceof Task.SecAggMask m) {
            TrainTask.Builder train = trainTask(m.train());
            train.setConfig(train.getConfig().toBuilder().setSecureAggregation(SecAggWire.toProto(m.parameters())));
            SecAggMaskTask.Builder mask = SecAggMaskTask.newBuilder().setTrain(train).setWeight(m.weight());
            m.shares().forEach(x -> mask.addShares(SecAggWire.toProto(x)));
            b.setSecaggMask(mask);
        } else if (task instanceof Task.SecAggConsistency c) {
            b.setSecaggConsistency(SecAggWire.toConsistencyTask(c.round(), c.request()));
        } else if (task instanceof Task.SecAggUnmask u) {
            b.setSecaggUnmask(SecAggWire.toProto(u.round(), u.request(), u.signatures()));
        } else if (task instanceof Task.Pretrain p) {
            var training = run.plan().training();
            var pre = run.plan().pretraining();
            b.setPretrain(PretrainTask.newBuilder()
                    .setRound(p.round())
                    .setModelVersion(p.model().version())
                    .setModelSha256(ByteString.copyFrom(p.model().sha256()))
                    .setModel(modelSpec(p.model().spec()))
                    .setConfig(dp(training, TrainingConfig.newBuilder()
                            .setSeed(training.seed())
                            .setDeltaEncoding(Wire.toProto(training.compression()))
                            .setPretraining(ContrastivePretraining.newBuilder()
                                    .setEpochs(pre.epochs())
                                    .setLearningRate(pre.learningRate())
                                    .setWeightDecay(pre.weightDecay())
                                    .setBatchSize(pre.batchSize())
                                    .setTemperature(pre.temperature())
                                    .setProjectionDim(pre.projectionDim())
                                    .setColourJitter(pre.colourJitter())
                                    .setMaxShift(pre.maxShift())
                                    .setMaxTiles(pre.maxTiles())))));
        } else if (task instanceof Task.Evaluate e) {
            b.setEvaluate(EvaluateTask.newBuilder()
                    .setModelVersion(e.model().version())
                    .setModelSha256(ByteString.copyFrom(e.model().sha256()))
                    .setModel(modelSpec(e.model().spec())));
        } else if (task instanceof Task.Wait w) {
            b.setWait(WaitTask.newBuilder().setRetryAfterMs(w.retryAfterMs()).setReason(w.reason())
                    .setPaused(FederationRun.PAUSED_REASON.equals(w.reason())));
        } else if (task instanceof Task.Stop s) {
            b.setStop(StopTask.newBuilder().setReason(s.reason()));
        }
        if (!(task instanceof Task.Wait)) {
            audit.head().ifPresent(h -> b.setLogHead(SignedLogHead.newBuilder().setStatement(h.statement())
                    .setSignature(ByteString.copyFrom(java.util.Base64.getDecoder().decode(h.sig())))));
        }
        return b.build();
    }

    /** The model's spec with the fine-tuned encoder block, when the federation trains one. */
    private org.fedmil.proto.v1.ModelSpec modelSpec(org.fedmil.mil.model.ModelSpec spec) {
        return org.fedmil.protocol.FineTuneWire.toProto(spec, run.plan().encoderBlock());
    }

    private TrainTask.Builder trainTask(Task.Train t) {
        var training = run.plan().training();
        return TrainTask.newBuilder()
                .setRound(t.round())
                .setModelVersion(t.model().version())
                .setModelSha256(ByteString.copyFrom(t.model().sha256()))
                .setModel(modelSpec(t.model().spec()))
                .setConfig(Wire.toProto(training.loss(), schedule(training, t.round(), dp(training,
                        Wire.toProto(training.optimizer(), TrainingConfig.newBuilder())
                        .setLocalEpochs(training.localEpochs())
                        .setBagsPerStep(training.bagsPerStep())
                        .setWeightDecay(training.weightDecay())
                        .setProximalMu(training.proximalMu())
                        .setDeltaEncoding(Wire.toProto(training.compression()))
                        .setPseudoLabelThreshold(training.pseudoLabelThreshold())
                        .setFederationNegativeBags(t.federationLabels().negatives())
                        .setFederationPositiveBags(t.federationLabels().positives())
                        .setSeed(training.seed())))));
    }

    /**
     * This round's learning rate and, for a schedule, where the round stands in it. Under reduce-on-plateau the
     * rate is decided here from the federated validation losses reported in the rounds completed before
     * {@code round} (never from the held-out set, which stays a test set; without site validation the rate stays
     * put); the run's history is what a restarted coordinator reads back from metrics.json, so the decision
     * survives a restart.
     */
    private TrainingConfig.Builder schedule(org.fedmil.coordinator.round.FederationPlan.TrainingPlan training,
                                            int round, TrainingConfig.Builder config) {
        // the schedule runs over the supervised rounds only: pretraining rounds 1..P come first, and their held-out
        // losses are of an untrained classifier, so they neither advance the schedule nor count as a plateau
        int pretraining = run.plan().pretrainingRounds();
        double rate = training.roundLearningRate(validationLossesBefore(round, pretraining));
        config.setLearningRate(rate);
        if (training.schedule().kind() != org.fedmil.mil.train.LearningRateSchedule.Kind.CONSTANT) {
            config.setSchedule(Wire.toProto(training.schedule(), round - pretraining,
                    run.plan().rounds() - pretraining, training.learningRate()));
        }
        return config;
    }

    /**
     * The federated validation losses reported before {@code round}, of models made by supervised rounds: a
     * pretraining round's model has an untrained classifier, so its loss says nothing of the schedule.
     */
    private java.util.List<Double> validationLossesBefore(int round, int pretrainingRounds) {
        return run.history().stream().filter(r -> r.round() < round && r.validation() != null)
                .map(org.fedmil.coordinator.round.RoundResult::validation)
                .filter(v -> v.modelRound() > pretrainingRounds).map(v -> v.loss()).toList();
    }

    private static TrainingConfig.Builder dp(org.fedmil.coordinator.round.FederationPlan.TrainingPlan training,
                                             TrainingConfig.Builder config) {
        training.requiredDp().ifPresent(d -> config.setDp(DifferentialPrivacy.newBuilder().setClipNorm(d.clipNorm())
                .setNoiseMultiplier(d.noiseMultiplier()).setDistributed(d.distributed())
                .setMode(d.fedSgd() ? org.fedmil.proto.v1.DpMode.DP_FEDSGD : d.perBag()
                        ? org.fedmil.proto.v1.DpMode.DP_SGD_PER_BAG : org.fedmil.proto.v1.DpMode.DP_SITE)
                .setSamplingRate(d.samplingRate()).setMinNoisedSites(d.minNoisedSites())));
        return config;
    }
}
