package org.fedmil.site.agent;

import ai.djl.Device;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.proto.v1.EvaluateTask;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.proto.v1.PretrainTask;
import org.fedmil.proto.v1.ContrastivePretraining;
import org.fedmil.mil.train.PretrainingOptions;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.Wire;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.progress.ProgressPrinter;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.util.Sha256;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.fedmil.audit.EgressSchema;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.pki.PemFiles;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.audit.EgressRecorder;
import org.fedmil.site.audit.ReceiptStore;
import org.fedmil.site.policy.Participation;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.ErrorFeedback;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hospital's agent: dials the coordinator, joins, and works through its tasks until told to stop. What it
 * sends is the join summary (software, device, bag counts per label), weight deltas with their counts and
 * training loss, and aggregate evaluation metrics; never images, features, per-bag outputs or instance scores.
 */
public final class SiteAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SiteAgent.class);
    public static final String SOFTWARE_VERSION = "fedmil-site/" + versionOf(SiteAgent.class);

    private final SiteConfig config;
    private final SiteData data;
    private final SiteTrainer trainer;
    private final CoordinatorClient client;
    private final PrintStream out;
    private final LocalModelStore localModels;
    private final EgressLog egress;
    private final CoordinatorIdentity coordinator;
    private final ReceiptStore receipts;
    private final PolicyGuard policy;
    private final SitePrivacy privacy;
    private final String ownName;
    private CoordinatorClient.DownloadedModel cached;
    private TrainedUpdate lastUpdate;

    /** Exit code of an agent its site policy stopped. */
    public static final int POLICY_STOPPED = 3;
    /** Exit code when the coordinator refuses this site for good (e.g. the operator revoked it). */
    public static final int REFUSED = 4;

    /**
     * The last delta this agent trained (noised, when DP applies), kept until the next task so that a broken upload
     * is sent again byte for byte: drawing fresh noise for a resend would release the site's data twice.
     */
    /** A trained delta as it will be sent: encoded once, so a resend is the same bytes. */
    private record TrainedUpdate(int round, long baseVersion, java.util.List<org.fedmil.tensor.TensorSpec> specs,
                                 DeltaEncoding encoding, byte[] bytes, long trainingBags, double trainLoss,
                                 Optional<PrivacyClaim> privacy) {
    }

    /** The residual of the last lossy upload, carried into the next (error feedback); null until one is asked. */
    private ErrorFeedback feedback;
    private String federationId = "";

    public SiteAgent(SiteConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
        this.data = new SiteData(config.dataDir());
        this.localModels = new LocalModelStore(config.stateDir());
        Device device = Devices.choose(config.device());
        this.trainer = new SiteTrainer(device, data);
        if (config.augmentation().any() && !data.isTiles()) {
            log.warn("augmentation is set in the site config but {} holds feature bags; it applies to tiles only "
                    + "and is ignored", config.dataDir());
        }
        X509Certificate own = PemFiles.readCertificate(config.tls().cert());
        this.ownName = PeerIdentity.of(own).commonName();
        java.security.PrivateKey ownKey = PemFiles.readPrivateKey(config.tls().key());
        this.egress = EgressLog.open(config.stateDir(), ownName, ownKey, own, SOFTWARE_VERSION);
        // the CA the site's TLS already trusts is the one every secure-aggregation roster entry must chain to
        this.rosterAuthentication = new org.fedmil.secagg.RosterAuthentication(ownKey, own,
                PemFiles.readCertificate(config.tls().ca()), java.time.Clock.systemUTC());
        this.coordinator = new CoordinatorIdentity(config.policy().coordinatorFingerprint());
        String target = config.coordinator().host() + ":" + config.coordinator().port();
        this.client = new CoordinatorClient(config.coordinator().host(), config.coordinator().port(), config.tls(),
                coordinator, new EgressRecorder(egress, coordinator, target));
        this.receipts = new ReceiptStore(config.stateDir(), egress, coordinator);
        this.policy = new PolicyGuard(config.policy(), Participation.open(config.stateDir()));
        this.privacy = new SitePrivacy(config.policy().dp(), config.stateDir());
    }

    /** The site's egress log (every message it sent, receipts and heads it received). */
    public java.nio.file.Path egressLog() {
        return egress.file();
    }

    /**
     * Runs until the coordinator says stop; returns the process exit code: 0 when told to stop,
     * {@value #POLICY_STOPPED} when the site's policy stopped it (the message says which rule and why).
     */
    public int run() throws InterruptedException {
        try {
            policy.checkData(data.labelCounts());
            return work();
        } catch (PolicyViolation v) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("rule", v.rule());
            f.put("reason", v.getMessage());
            egress.record(EgressSchema.POLICY_STOPPED, f);
            out.println("site " + ownName + " stopped by its privacy policy: " + v.getMessage());
            if (!v.rule().equals("coordinator_fingerprint") && !federationId.isEmpty()) {
                try {
                    client.leave(v.getMessage());
                } catch (StatusRuntimeException e) {
                    log.info("could not tell the coordinator this site leaves: {}", e.getStatus());
                }
            }
            return POLICY_STOPPED;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != io.grpc.Status.Code.PERMISSION_DENIED) {
                throw e;
            }
            // refused again after joining again: final (the operator revoked this site, or it is not a site)
            out.println("site " + ownName + " refused by the coordinator: " + e.getStatus().getDescription());
            return REFUSED;
        }
    }

    private int work() throws InterruptedException {
        String site = join();
        boolean rejoined = false;
        while (true) {
            long asked = System.nanoTime();
            Task task;
            try {
                task = retrying("next task", () -> client.nextTask(config.pollWaitMs()));
                if (task.hasLogHead()) {
                    receipts.keepHead(task.getLogHead());
                }
                switch (task.getKindCase()) {
                    case TRAIN -> train(site, task.getTrain());
                    case PRETRAIN -> pretrain(site, task.getPretrain());
                    case EVALUATE -> evaluate(site, task.getEvaluate());
                    case SECAGG_ADVERTISE -> secAggAdvertise(site, task.getSecaggAdvertise());
                    case SECAGG_SHARE -> secAggShare(site, task.getSecaggShare());
                    case SECAGG_MASK -> secAggMask(site, task.getSecaggMask());
                    case SECAGG_UNMASK -> secAggUnmask(site, task.getSecaggUnmask());
                    default -> {
                    }
                }
                rejoined = false;
            } catch (StatusRuntimeException e) {
                switch (e.getStatus().getCode()) {
                    case PERMISSION_DENIED -> {
                        // the coordinator restarted and forgot us: join again, once; a second refusal is final
                        if (rejoined) {
                            throw e;
                        }
                        out.printf("site %s: coordinator does not know this site any more (%s); joining again%n",
                                site, e.getStatus().getDescription());
                        join();
                        rejoined = true;
                    }
                    // the round moved on while we trained or sent (a straggler, a restart): take the next task
                    case FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS -> out.printf("site %s: %s; asking for the next task%n",
                            site, e.getStatus().getDescription());
                    default -> {
                        if (!Retry.isTransient(e.getStatus().getCode())) {
                            throw e;
                        }
                        log.info("site {}: task broke off ({}); asking again", site, e.getStatus());
                    }
                }
                continue;
            }
            switch (task.getKindCase()) {
                case TRAIN, PRETRAIN, EVALUATE, SECAGG_ADVERTISE, SECAGG_SHARE, SECAGG_MASK, SECAGG_UNMASK -> {
                }
                case WAIT -> {
                    long waitedMs = (System.nanoTime() - asked) / 1_000_000;
                    long rest = task.getWait().getRetryAfterMs() - waitedMs;
                    log.debug("waiting: {}", task.getWait().getReason());
                    if (rest > 0) {
                        Thread.sleep(rest);
                    }
                }
                case STOP -> {
                    out.printf("site %s stopping: %s%n", site, task.getStop().getReason());
                    return 0;
                }
                default -> throw new IllegalStateException("coordinator sent a task this agent does not know: "
                        + task.getKindCase() + "; upgrade the site agent");
            }
        }
    }

    private String join() throws InterruptedException {
        // the handshake first, so that a coordinator the pin refuses is refused before any message is described
        client.connect(Duration.ofSeconds(Math.min(config.connectTimeoutSeconds(), 30)));
        coordinator.pinRefusal().ifPresent(r -> {
            throw new PolicyViolation("coordinator_fingerprint", r);
        });
        JoinResponse joined = retrying("join", () -> client.join(joinRequest()));
        if (!joined.getFederationId().equals(federationId)) {
            feedback = null; // a residual belongs to the federation whose model it was rounded off
        }
        federationId = joined.getFederationId();
        out.printf("site %s joined federation '%s' (%d rounds) with %s on %s%n", joined.getSiteId(),
                joined.getFederationId(), joined.getTotalRounds(), data.describe(), trainer.device());
        return joined.getSiteId();
    }

    private JoinRequest joinRequest() {
        JoinRequest.Builder b = JoinRequest.newBuilder()
                .setSoftwareVersion(SOFTWARE_VERSION)
                .setDevice(Devices.describe(trainer.device()));
        LabelCounts counts = data.labelCounts();
        b.addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(counts.negatives()));
        b.addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(counts.positives()));
        return b.build();
    }

    private void train(String site, TrainTask task) throws InterruptedException {
        long t0 = System.nanoTime();
        TrainingConfig c = task.getConfig();
        TrainedUpdate update = trainedUpdate(site, task);
        UploadReceipt receipt = send(site, task.getRound(), task.getModelVersion(), task.getModelSha256().toByteArray(),
                update);
        out.printf(Locale.ROOT, "site %s round %d: trained %d bags x %d epochs, loss %.4f, sent delta %s (%d of %d in)%s in %.1f s%n",
                site, task.getRound(), update.trainingBags(), c.getLocalEpochs(), update.trainLoss(),
                Sha256.shortHex(receipt.getDeltaSha256().toByteArray()), receipt.getUpdatesReceived(),
                receipt.getUpdatesExpected(), update.privacy().map(p -> String.format(Locale.ROOT,
                        ", DP sigma %s, epsilon spent %.3f", p.noiseMultiplier(), p.epsilonSpent())).orElse(""),
                (System.nanoTime() - t0) / 1e9);
    }

    // --- secure aggregation (docs/secure-aggregation.md) ---

    /** The open secure-aggregation attempt, or null; a site restarted mid-round has none and sits the round out. */
    private SecAggSession secAgg;
    /** Signs this site's secure-aggregation keys and checks every other site's. */
    private final org.fedmil.secagg.RosterAuthentication rosterAuthentication;

    private void secAggAdvertise(String site, org.fedmil.proto.v1.SecAggAdvertiseTask task)
            throws InterruptedException {
        // keys are reused only while nothing was shared under them: a new attempt of a round gets fresh secrets,
        // or the coordinator could combine one attempt's revealed seed with another's revealed key
        if (secAgg == null || secAgg.round() != task.getParameters().getRound() || secAgg.hasShared()) {
            secAgg = SecAggSession.start(site, federationId, task, rosterAuthentication);
        }
        org.fedmil.proto.v1.SecAggKeys keys = secAgg.advertise();
        retrying("advertise keys", () -> {
            client.advertiseKeys(keys);
            return null;
        });
        log.info("site {} round {}: advertised secure-aggregation keys (t={} of {})", site, secAgg.round(),
                secAgg.parameters().threshold(), secAgg.parameters().invitedSites());
    }

    private void secAggShare(String site, org.fedmil.proto.v1.SecAggShareTask task) throws InterruptedException {
        SecAggSession s = session(task.getRound(), "share keys");
        if (s == null) {
            return;
        }
        org.fedmil.proto.v1.SecAggShares shares;
        try {
            shares = s.share(task);
        } catch (org.fedmil.secagg.SecAggException e) {
            // a roster entry that its site did not sign: nothing was derived or shared; this site sits the round out
            log.error("site {} round {}: refusing the key roster{}: {}", site, task.getRound(),
                    e.culprit().map(c -> " (entry of " + c + ")").orElse(""), e.getMessage());
            out.printf("site %s round %d: refused the secure-aggregation key roster: %s%n", site, task.getRound(),
                    e.getMessage());
            secAgg = null;
            Thread.sleep(config.pollWaitMs());
            return;
        }
        retrying("share keys", () -> {
            client.shareKeys(shares);
            return null;
        });
        log.info("site {} round {}: sent encrypted key shares to {} sites", site, task.getRound(),
                shares.getSharesCount());
    }

    private void secAggMask(String site, org.fedmil.proto.v1.SecAggMaskTask task) throws InterruptedException {
        long t0 = System.nanoTime();
        TrainTask train = task.getTrain();
        SecAggSession s = session(train.getRound(), "mask its update");
        if (s == null) {
            return;
        }
        try {
            s.receive(org.fedmil.protocol.SecAggWire.shares(task.getSharesList()));
        } catch (org.fedmil.secagg.SecAggException e) {
            // nothing of the delta was sent; the coordinator goes on without this site at the step's deadline
            log.error("site {} round {}: secure aggregation cannot go on{}: {}", site, train.getRound(),
                    e.culprit().map(c -> " (bad share from " + c + ")").orElse(""), e.getMessage());
            secAgg = null;
            Thread.sleep(config.pollWaitMs());
            return;
        }
        TrainedUpdate update = trainedUpdate(site, train);
        byte[] masked = s.mask(() -> flat(update), update.trainingBags());
        policy.noteSending(federationId, train.getRound());
        UploadReceipt receipt = client.uploadMasked(train.getRound(), train.getModelVersion(),
                train.getModelSha256().toByteArray(), update.specs(), masked, s.parameters().fractionalBits(),
                update.trainingBags(), update.trainLoss(), update.privacy(),
                Duration.ofSeconds(config.connectTimeoutSeconds()));
        receipts.keep(federationId, site, train.getRound(), Sha256.hex(receipt.getDeltaSha256().toByteArray()),
                receipt);
        out.printf(Locale.ROOT, "site %s round %d: trained %d bags, loss %.4f, sent masked delta %s (%d coordinates "
                        + "clamped to ±%s)%s in %.1f s%n", site, train.getRound(), update.trainingBags(),
                update.trainLoss(), Sha256.shortHex(receipt.getDeltaSha256().toByteArray()), s.clampedCoordinates(),
                s.parameters().coordinateBound(), update.privacy().map(p -> String.format(Locale.ROOT,
                        ", DP sigma %s, epsilon spent %.3f", p.noiseMultiplier(), p.epsilonSpent())).orElse(""),
                (System.nanoTime() - t0) / 1e9);
    }

    private void secAggUnmask(String site, org.fedmil.proto.v1.SecAggUnmaskTask task) throws InterruptedException {
        SecAggSession s = session(task.getRound(), "unmask");
        if (s == null) {
            return;
        }
        org.fedmil.proto.v1.SecAggUnmaskShares shares;
        try {
            shares = s.unmask(task);
        } catch (org.fedmil.secagg.SecAggException e) {
            // the request would expose a site's input (or is inconsistent): refuse to answer, loudly
            log.error("site {} round {}: refusing the coordinator's unmask request: {}", site, task.getRound(),
                    e.getMessage());
            out.printf("site %s round %d: refused to unmask: %s%n", site, task.getRound(), e.getMessage());
            secAgg = null;
            Thread.sleep(config.pollWaitMs());
            return;
        }
        retrying("unmask", () -> {
            client.unmask(shares);
            return null;
        });
        log.info("site {} round {}: sent unmasking shares for {} survivors and {} dropped sites", site,
                task.getRound(), shares.getSelfMaskSharesCount(), shares.getMaskingKeySharesCount());
    }

    /** The session of this round, or null (after a pause) when this agent has none: it sits the round out. */
    private SecAggSession session(int round, String step) throws InterruptedException {
        if (secAgg != null && secAgg.round() == round) {
            return secAgg;
        }
        log.warn("asked to {} in round {}'s secure aggregation, but this agent holds no keys of that round (it "
                + "restarted, or gave up on the round); the round goes on without it", step, round);
        Thread.sleep(config.pollWaitMs());
        return null;
    }

    private static float[] flat(TrainedUpdate update) {
        TensorSet delta = org.fedmil.tensor.DeltaCodec.decode(update.specs(), update.encoding(), update.bytes());
        float[] out = new float[Math.toIntExact(delta.parameterCount())];
        int at = 0;
        for (org.fedmil.tensor.NamedTensor t : delta.tensors()) {
            System.arraycopy(t.values(), 0, out, at, t.size());
            at += t.size();
        }
        return out;
    }

    // --- end secure aggregation ---

    /**
     * The delta for a train task, trained (and noised, when DP applies) once per round and base model: the same
     * task again reuses it, so a resend releases nothing new.
     */
    private TrainedUpdate trainedUpdate(String site, TrainTask task) throws InterruptedException {
        TrainingConfig c = task.getConfig();
        TrainedUpdate update;
        long baseVersion = task.getModelVersion();
        ModelSpec spec = Wire.fromProto(task.getModel());
        // the policy is asked before anything is downloaded, trained or sent
        policy.checkModel(spec);
        policy.checkTraining(federationId, task.getRound(), c);
        if (lastUpdate != null && lastUpdate.round() == task.getRound() && lastUpdate.baseVersion() == baseVersion) {
            // the same task again (our upload broke off, or the coordinator restarted the round): the delta we
            // trained is still the answer, and resending the same bytes is idempotent
            update = lastUpdate;
        } else {
            if (c.hasDp()) {
                privacy.requireBudgetFor(c.getDp().getNoiseMultiplier());
            }
            CoordinatorClient.DownloadedModel global = model(baseVersion, task.getModelSha256().toByteArray());
            localModels.keep(federationId, spec, global, "train", OptionalInt.of(task.getRound()));
            long seed = c.getSeed() * 1_000_003L + site.hashCode() * 31L + task.getRound();
            SiteTrainer.LocalUpdate trained = trainer.train(spec, global.weights(),
                    new TrainingOptions(c.getLocalEpochs(), c.getLearningRate(), c.getWeightDecay(), seed,
                            Wire.lossOf(c).forSite(data.labelCounts()), augmentationFor(spec), c.getProximalMu(),
                            Wire.optimizerOf(c), Math.max(1, c.getBagsPerStep()), Wire.stepRatesOf(c)),
                    ProgressPrinter.forConsole(out, "site " + site + " round " + task.getRound()),
                    c.getPseudoLabelThreshold());
            policy.checkBags(trained.trainingBags());
            if (trained.pseudoLabelled() > 0) {
                out.printf(Locale.ROOT, "site %s round %d: %d of %d unlabeled bags joined training with pseudo-labels "
                                + "(confidence >= %s); they stay at this site and are not counted in what is sent%n",
                        site, task.getRound(), trained.pseudoLabelled(), data.unlabeledCount(),
                        c.getPseudoLabelThreshold());
            }
            update = released(task.getRound(), baseVersion, c, trained.delta(), trained.trainingBags(),
                    trained.trainLoss());
        }
        return update;
    }

    /**
     * A pretraining round: the encoder of the global model is trained self-supervised on the tiles of every local
     * bag, and only the encoder's delta is sent, through the same DP, encoding and signed upload as a train task's.
     */
    private void pretrain(String site, PretrainTask task) throws InterruptedException {
        long t0 = System.nanoTime();
        TrainingConfig c = task.getConfig();
        if (!c.hasPretraining()) {
            throw new StatusRuntimeException(Status.INVALID_ARGUMENT.withDescription("the coordinator sent a "
                    + "pretraining task for round " + task.getRound() + " without its pretraining settings"));
        }
        long baseVersion = task.getModelVersion();
        ModelSpec spec = Wire.fromProto(task.getModel());
        policy.checkModel(spec);
        policy.checkTraining(federationId, task.getRound(), c);
        TrainedUpdate update;
        if (lastUpdate != null && lastUpdate.round() == task.getRound() && lastUpdate.baseVersion() == baseVersion) {
            update = lastUpdate;
        } else {
            if (c.hasDp()) {
                privacy.requireBudgetFor(c.getDp().getNoiseMultiplier());
            }
            CoordinatorClient.DownloadedModel global = model(baseVersion, task.getModelSha256().toByteArray());
            localModels.keep(federationId, spec, global, "pretrain", OptionalInt.of(task.getRound()));
            long seed = c.getSeed() * 1_000_003L + site.hashCode() * 31L + task.getRound();
            ContrastivePretraining p = c.getPretraining();
            SiteTrainer.EncoderUpdate trained = trainer.pretrain(spec, global.weights(), new PretrainingOptions(
                    p.getEpochs(), p.getLearningRate(), p.getWeightDecay(), p.getBatchSize(), p.getTemperature(),
                    p.getProjectionDim(), p.getColourJitter(), p.getMaxShift(), p.getMaxTiles(), seed));
            policy.checkBags(trained.bags());
            update = released(task.getRound(), baseVersion, c, trained.delta(), trained.bags(), trained.loss());
        }
        UploadReceipt receipt = send(site, task.getRound(), baseVersion, task.getModelSha256().toByteArray(), update);
        out.printf(Locale.ROOT, "site %s round %d: pretrained the encoder on the tiles of %d bags, NT-Xent %.4f, "
                        + "sent encoder delta %s (%d of %d in)%s in %.1f s%n", site, task.getRound(),
                update.trainingBags(), update.trainLoss(), Sha256.shortHex(receipt.getDeltaSha256().toByteArray()),
                receipt.getUpdatesReceived(), receipt.getUpdatesExpected(), update.privacy().map(q -> String.format(
                        Locale.ROOT, ", DP sigma %s, epsilon spent %.3f", q.noiseMultiplier(), q.epsilonSpent()))
                        .orElse(""), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The delta as it will be sent, kept for a resend: clipped and noised when the task asks for DP, then encoded
     * (with error feedback) in the federation's delta encoding.
     */
    private TrainedUpdate released(int round, long baseVersion, TrainingConfig c, TensorSet trainedDelta, long bags,
                                   double loss) {
        TensorSet delta = trainedDelta;
        Optional<PrivacyClaim> claim = Optional.empty();
        if (c.hasDp()) {
            SitePrivacy.Release release = privacy.release(federationId, round, delta, c.getDp());
            delta = release.delta();
            claim = Optional.of(release.claim());
            log.info("round {}: delta L2 norm {} clipped to {} and noised (sigma {}); spent epsilon {} at delta {}",
                    round, release.normBeforeClipping(), c.getDp().getClipNorm(), c.getDp().getNoiseMultiplier(),
                    release.claim().epsilonSpent(), release.claim().delta());
        }
        DeltaEncoding encoding = Wire.encodingOf(c.getDeltaEncoding());
        if (feedback == null || feedback.encoding() != encoding) {
            // (a residual of other tensors, a pretraining round's encoder-only one, is not carried over: see
            // ErrorFeedback.encode)
            feedback = new ErrorFeedback(encoding);
        }
        // after DP: the residual is of the released delta, so carrying it over is post-processing
        TrainedUpdate update = new TrainedUpdate(round, baseVersion, delta.specs(), encoding, feedback.encode(delta),
                bags, loss, claim);
        lastUpdate = update;
        return update;
    }

    /** Uploads {@code update} (noting the round for max_rounds first) and keeps the coordinator's receipt. */
    private UploadReceipt send(String site, int round, long baseVersion, byte[] baseSha, TrainedUpdate update)
            throws InterruptedException {
        policy.noteSending(federationId, round);
        UploadReceipt receipt = client.upload(round, baseVersion, baseSha, update.specs(), update.encoding(),
                update.bytes(), update.trainingBags(), update.trainLoss(), update.privacy(),
                Duration.ofSeconds(config.connectTimeoutSeconds()));
        receipts.keep(federationId, site, round, Sha256.hex(receipt.getDeltaSha256().toByteArray()), receipt);
        return receipt;
    }

    private BagAugmentation augmentationFor(ModelSpec spec) {
        SiteConfig.Augmentation a = config.augmentation();
        if (!a.any() || spec.tileFormat().isEmpty()) {
            return BagAugmentation.NONE;
        }
        return new TileAugmentation(spec.tileFormat().get(), a.flips(), a.rotations())::apply;
    }

    private void evaluate(String site, EvaluateTask task) {
        ModelSpec spec = Wire.fromProto(task.getModel());
        policy.checkModel(spec);
        CoordinatorClient.DownloadedModel global = model(task.getModelVersion(), task.getModelSha256().toByteArray());
        localModels.keep(federationId, spec, global, "evaluate", OptionalInt.empty());
        BinaryMetrics m = trainer.evaluate(spec, global.weights());
        client.reportEvaluation(EvaluationReport.newBuilder()
                .setModelVersion(global.version()).setBags(m.n()).setAuc(m.auc()).setAccuracy(m.accuracy())
                .setSensitivity(m.sensitivity()).setSpecificity(m.specificity()).setLoss(m.loss()).build());
        out.printf(Locale.ROOT, "site %s evaluated model v%d on its %d bags: auc %.4f acc %.4f%n", site,
                global.version(), m.n(), m.auc(), m.accuracy());
    }

    private CoordinatorClient.DownloadedModel model(long version, byte[] sha) {
        if (cached == null || cached.version() != version || !java.util.Arrays.equals(cached.sha256(), sha)) {
            cached = client.downloadModel(version, sha);
        }
        return cached;
    }

    /**
     * Retries, with exponential backoff and jitter, while the coordinator is unreachable or the call broke off
     * (a restart, a dropped link), up to connect_timeout_seconds; other errors go to the caller.
     */
    private <T> T retrying(String what, Supplier<T> call) throws InterruptedException {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + Duration.ofSeconds(config.connectTimeoutSeconds()).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (coordinator.pinRefusal().isPresent()) {
                    throw new PolicyViolation("coordinator_fingerprint", coordinator.pinRefusal().get());
                }
                if (!Retry.isTransient(e.getStatus().getCode()) || System.nanoTime() > deadline) {
                    throw e;
                }
                Duration pause = backoff.next();
                // grpc says only "io exception" when TLS fails; the cause says why (e.g. certificate not trusted).
                Throwable cause = e.getCause();
                log.info("{}: coordinator {}:{} unreachable ({}{}); retrying in {} ms", what,
                        config.coordinator().host(), config.coordinator().port(), e.getStatus().getDescription(),
                        cause == null ? "" : ": " + cause.getMessage(), pause.toMillis());
                Thread.sleep(pause.toMillis());
            }
        }
    }

    private static String versionOf(Class<?> c) {
        String v = c.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        trainer.close();
        egress.close();
    }
}
