package org.fedmil.site.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.fedmil.mil.train.PretrainingOptions;
import org.fedmil.proto.v1.ContrastivePretraining;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.model.GlobalModels;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.outbound.OutboundPipeline;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.fedmil.util.Sha256;

/**
 * A pretraining round: the encoder of the global model is trained self-supervised on the tiles of every local bag,
 * and only the encoder's delta is sent, through the same outbound filters as a training round's.
 */
public final class PretrainExecutor implements TaskExecutor<SiteTask.Pretrain> {

    private final Membership membership;
    private final OutboundPipeline outbound;
    private final GlobalModels models;
    private final SiteTrainer trainer;
    private final PrintStream out;

    public PretrainExecutor(Membership membership, OutboundPipeline outbound, GlobalModels models,
                            SiteTrainer trainer, PrintStream out) {
        this.membership = membership;
        this.outbound = outbound;
        this.models = models;
        this.trainer = trainer;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.Pretrain task) throws InterruptedException {
        long t0 = System.nanoTime();
        Outbound update = released(task);
        OutboundPipeline.Sent sent = outbound.send(update);
        out.printf(Locale.ROOT, "site %s round %d: pretrained the encoder on the tiles of %d bags, NT-Xent %.4f, "
                        + "sent encoder delta %s (%d of %d in)%s in %.1f s%n", membership.siteId(), task.round(),
                update.trainingBags(), update.trainLoss(), Sha256.shortHex(sent.receipt().getDeltaSha256()
                        .toByteArray()), sent.receipt().getUpdatesReceived(), sent.receipt().getUpdatesExpected(),
                TrainExecutor.privacyNote(update), (System.nanoTime() - t0) / 1e9);
    }

    private Outbound released(SiteTask.Pretrain task) {
        TrainingConfig c = task.config();
        SiteTask.GlobalModel model = task.model();
        Optional<Outbound> kept = outbound.admit(model.spec(), task.round(), model.version(), c);
        if (kept.isPresent()) {
            return kept.get();
        }
        CoordinatorClient.DownloadedModel global = models.fetch(model, "pretrain", OptionalInt.of(task.round()));
        long seed = c.getSeed() * 1_000_003L + membership.siteId().hashCode() * 31L + task.round();
        ContrastivePretraining p = c.getPretraining();
        SiteTrainer.EncoderUpdate trained = trainer.pretrain(model.spec(), global.weights(), new PretrainingOptions(
                p.getEpochs(), p.getLearningRate(), p.getWeightDecay(), p.getBatchSize(), p.getTemperature(),
                p.getProjectionDim(), p.getColourJitter(), p.getMaxShift(), p.getMaxTiles(), seed));
        return outbound.release(Outbound.trained(membership.federationId(), task.round(), model.version(),
                model.sha256(), Outbound.Release.of(c), trained.delta(), trained.bags(), trained.loss()));
    }
}
