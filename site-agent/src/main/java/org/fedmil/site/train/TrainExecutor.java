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
        Outbound.Release release = Outbound.Release.of(c);
        if (release.dpFedSgd().isPresent()) {
            return fedSgdShare(task, global.weights(), release, seed);
        }
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

    /**
     * DP-FedSGD: nothing is trained and no validation is measured (the sites' unnoised validation aggregates would be
     * a release the accountant does not charge). The share (integer grid units, its noise share in it) is kept for
     * the mask step, {@link #keptShare}; what goes through the pipeline is a zero delta of the model's shape (it
     * carries the tensor specs of the header, never values) with train loss 0, as no loss is computed.
     */
    private Outbound fedSgdShare(SiteTask.Train task, org.fedmil.tensor.TensorSet global, Outbound.Release release,
                                 long seed) {
        TrainingConfig c = task.config();
        SiteTask.GlobalModel model = task.model();
        var dp = release.dpFedSgd().get();
        org.fedmil.mil.train.DpFedSgdStep.Share share = trainer.dpFedSgdShare(model.spec(), global,
                new TrainingOptions(1, c.getLearningRate(), 0, seed,
                        Wire.lossOf(c).forSite(data.trainingLabelCounts(), Wire.federationLabelsOf(c)),
                        augmentationFor(model.spec())), dp);
        keptShare = new KeptShare(task.round(), model.version(), share.units());
        out.printf(Locale.ROOT, "site %s round %d: DP-FedSGD share of %d bags sampled at q = %s (clip %s, noise "
                        + "multiplier %s for K_min = %d sites); median bag gradient norm %.4g before clipping%n",
                membership.siteId(), task.round(), share.lot(), dp.samplingRate(), dp.clipNorm(),
                dp.noiseMultiplier(), dp.minNoisedSites(), share.medianBagGradientNorm());
        org.fedmil.tensor.TensorSet zero = global.minus(global);
        return outbound.release(Outbound.trained(membership.federationId(), task.round(), model.version(),
                model.sha256(), release, zero, data.trainingLabelCounts().total(), 0));
    }

    /** The DP-FedSGD share of a round, as {@link #released} computed it. */
    private record KeptShare(int round, long baseVersion, long[] units) {
    }

    private KeptShare keptShare;

    /**
     * The integer share {@link #released} computed for {@code round} from model {@code baseVersion}; a resend of the
     * round gets the same one (the masked bytes are kept by the secure-aggregation session as well).
     *
     * @throws IllegalStateException when no share of that round and model was computed
     */
    public long[] keptShare(int round, long baseVersion) {
        KeptShare k = keptShare;
        if (k == null || k.round() != round || k.baseVersion() != baseVersion) {
            throw new IllegalStateException("no DP-FedSGD share of round " + round + " from model v" + baseVersion
                    + " was computed at this site; the mask task must follow its train step");
        }
        return k.units();
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
