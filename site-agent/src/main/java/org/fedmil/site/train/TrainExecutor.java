package org.fedmil.site.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.GlobalModels;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.outbound.OutboundPipeline;
import org.fedmil.site.progress.ProgressPrinter;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.fedmil.util.Sha256;

/** A training round: train the global model on the local bags and send the delta through the outbound filters. */
public final class TrainExecutor implements TaskExecutor<SiteTask.Train> {

    private final Membership membership;
    private final OutboundPipeline outbound;
    private final GlobalModels models;
    private final SiteTrainer trainer;
    private final SiteData data;
    private final SiteConfig.Augmentation augmentation;
    private final PrintStream out;

    public TrainExecutor(Membership membership, OutboundPipeline outbound, GlobalModels models, SiteTrainer trainer,
                         SiteData data, SiteConfig.Augmentation augmentation, PrintStream out) {
        this.membership = membership;
        this.outbound = outbound;
        this.models = models;
        this.trainer = trainer;
        this.data = data;
        this.augmentation = augmentation;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.Train task) throws InterruptedException {
        long t0 = System.nanoTime();
        Outbound update = released(task);
        OutboundPipeline.Sent sent = outbound.send(update);
        out.printf(Locale.ROOT, "site %s round %d: trained %d bags x %d epochs, loss %.4f, sent delta %s (%d of %d "
                        + "in)%s in %.1f s%n", membership.siteId(), task.round(), update.trainingBags(),
                task.config().getLocalEpochs(), update.trainLoss(),
                Sha256.shortHex(sent.receipt().getDeltaSha256().toByteArray()), sent.receipt().getUpdatesReceived(),
                sent.receipt().getUpdatesExpected(), privacyNote(update), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The released delta for a train task, trained (and noised, when DP applies) once per round and base model: the
     * same task again reuses it, so a resend releases nothing new. The policy is asked before anything is
     * downloaded, trained or sent.
     */
    public Outbound released(SiteTask.Train task) {
        TrainingConfig c = task.config();
        SiteTask.GlobalModel model = task.model();
        Optional<Outbound> kept = outbound.admit(model.spec(), task.round(), model.version(), c);
        if (kept.isPresent()) {
            return kept.get();
        }
        CoordinatorClient.DownloadedModel global = models.fetch(model, "train", OptionalInt.of(task.round()));
        trainer.useEncoderBlock(model.encoderBlock());
        String site = membership.siteId();
        long seed = c.getSeed() * 1_000_003L + site.hashCode() * 31L + task.round();
        // the model as received, before this site trains on it: the coordinator chooses and stops by these
        Optional<ValidationMetrics> validation = trainer.validate(model.spec(), global.weights());
        validation.ifPresent(v -> out.printf(Locale.ROOT, "site %s round %d: model v%d on this site's validation "
                + "bags: %s%n", site, task.round(), model.version(), v.summary()));
        // from here the round's only hold on the global model is start's, let go once the engine has it
        StartingWeights start = models.startingWeights(global);
        global = null;
        SiteTrainer.LocalUpdate trained = trainer.train(model.spec(), start,
                new TrainingOptions(c.getLocalEpochs(), c.getLearningRate(), c.getWeightDecay(), seed,
                        Wire.lossOf(c).forSite(data.trainingLabelCounts(), Wire.federationLabelsOf(c)), augmentationFor(model.encoderBlock().map(b -> b.readingSpec(model.spec())).orElse(model.spec())), c.getProximalMu(),
                        Wire.optimizerOf(c), Math.max(1, c.getBagsPerStep()), Wire.stepRatesOf(c)),
                ProgressPrinter.forConsole(out, "site " + site + " round " + task.round()),
                c.getPseudoLabelThreshold(), Outbound.Release.of(c).dpSgd().isPresent()
                        ? Optional.of(Outbound.Release.dpSgdOf(c)) : Optional.empty());
        if (trained.pseudoLabelled() > 0) {
            out.printf(Locale.ROOT, "site %s round %d: %d of %d unlabeled bags joined training with pseudo-labels "
                            + "(confidence >= %s); they stay at this site and are not counted in what is sent%n",
                    site, task.round(), trained.pseudoLabelled(), data.unlabeledCount(), c.getPseudoLabelThreshold());
        }
        return outbound.release(Outbound.trained(membership.federationId(), task.round(), model.version(),
                model.sha256(), Outbound.Release.of(c), trained.delta(), trained.trainingBags(), trained.trainLoss())
                .withValidation(validation));
    }

    private BagAugmentation augmentationFor(ModelSpec spec) {
        if (!augmentation.any() || spec.tileFormat().isEmpty()) {
            return BagAugmentation.NONE;
        }
        return new TileAugmentation(spec.tileFormat().get(), augmentation.flips(), augmentation.rotations())::apply;
    }

    /** ", DP sigma …, epsilon spent …" for the console line of a noised update; empty otherwise. */
    public static String privacyNote(Outbound update) {
        return update.privacy().map(p -> String.format(Locale.ROOT, ", DP sigma %s, epsilon spent %.3f",
                p.noiseMultiplier(), p.epsilonSpent())).orElse("");
    }
}
