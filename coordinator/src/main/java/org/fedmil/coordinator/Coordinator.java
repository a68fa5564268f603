package org.fedmil.coordinator;

import ai.djl.Device;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.AdminService;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.aggregate.Capability;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.Evaluation;
import org.fedmil.coordinator.dashboard.Dashboard;
import org.fedmil.coordinator.eval.DjlHeldOutEvaluation;
import org.fedmil.coordinator.eval.SkippedHeldOutEvaluation;
import org.fedmil.coordinator.round.HeldOutEvaluation;
import org.fedmil.coordinator.eval.EnsembleEvaluation;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.PretrainingPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.Resume;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.RunView;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.coordinator.round.SiteEvaluation;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.server.CoordinatorServer;
import org.fedmil.coordinator.state.RoundTable;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.mil.eval.ValidationCriterion;
import org.fedmil.coordinator.round.ModelChoice;
import java.util.Optional;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Devices;
import org.fedmil.mil.model.InitialWeights;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.pki.PemFiles;
import org.fedmil.tls.MutualTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole coordinator: held-out set, initial global model, state folder, round logic and gRPC server, wired
 * from one {@link CoordinatorConfig}.
 */
public final class Coordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

    private final CoordinatorConfig config;
    private final StateStore store;
    /** What makes one validated model better: the loss the sites' class weighting trains for. */
    private final ValidationCriterion validationCriterion;
    private final HeldOutEvaluation heldOut;
    private final FederationRun run;
    private final CoordinatorServer server;
    private final PrintStream out;
    private final boolean resumed;
    private final RoundLog roundLog;
    private final Strategy strategy;
    private final Dashboard dashboard; // null unless dashboard.enabled
    private final Revocations revocations;
    private final AdminControl admin;
    /** Applies the CA-signed offline revocation file of the state folder (fedmil pki revoke --offline). */
    private final org.fedmil.coordinator.admin.OfflineRevocationWatcher offlineRevocations;
    private final EnsembleEvaluation extraEvaluation; // null unless the evaluation section asks for a score
    private final int heldOutBags;
    /** The federation had finished before this coordinator started: it serves its state and admits no site. */
    private final String finishedBefore;
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    /** The signed round log's file name in the state folder. */
    public static final String ROUND_LOG = "round-log.jsonl";

    public Coordinator(CoordinatorConfig config, PrintStream out) {
        this(config, out, new ServerInterceptor[0]);
    }

    /** @param observers interceptors that see every admitted site call (see {@link CoordinatorServer}) */
    public Coordinator(CoordinatorConfig config, PrintStream out, ServerInterceptor... observers) {
        this.config = config;
        this.out = out;
        // tile bags are read at the model's tile format; feature bags tell the model its input width
        BagDataset heldOutSet;
        ModelSpec spec;
        FineTunedStart fineTuned = config.encoderFineTune().enabled()
                ? FineTunedStart.of(config, Devices.choose(config.device()), config.training().seed()) : null;
        if (fineTuned != null) {
            spec = fineTuned.head();
            heldOutSet = fineTuned.heldOut();
        } else if (config.model().encoderKind() == Encoder.CNN) {
            spec = config.model().spec(0);
            heldOutSet = spec.open(config.heldoutDir());
        } else {
            heldOutSet = BagDataset.load(config.heldoutDir());
            spec = config.model().specForData(heldOutSet.dim(), config.heldoutDir());
        }
        CoordinatorConfig.Training t = config.training();
        this.strategy = config.strategy().create();
        // pretraining rounds come first and are numbered with the others: rounds r ≤ P pretrain, the config's
        // rounds supervised ones follow
        PretrainingPlan pretraining = config.pretraining().plan().orElse(null);
        FederationPlan plan = new FederationPlan(config.federationId(), config.minSites(),
                config.pretraining().rounds() + config.rounds(), spec,
                new FederationPlan.TrainingPlan(t.localEpochs(), t.learningRate(), t.weightDecay(), t.seed(),
                        t.lossConfig(), t.dpRequirement().orElse(null), strategy.configure().proximalMu(),
                        t.deltaEncoding(), t.optimizerConfig(), t.bagsPerStep(), t.schedule().learningRateSchedule(),
                        config.pseudoLabels().threshold()), true,
                config.roundRules(), pretraining, config.secureAggregation())
                .withEarlyStopping(config.earlyStopping().rule().withCriterion(
                        ValidationCriterion.matching(t.lossConfig().classWeighting())))
                .withFeatureEncoder(config.model().featureEncoderSha256())
                .withFineTunedBlock(fineTuned == null ? null : fineTuned.block())
                .withSecAggGraph(config.secureAggregationGraph().policy());
        this.validationCriterion = plan.earlyStopping().criterion();
        // the starting weights in plain Java, bit-identical to the engine's: the engine (libtorch) is loaded only
        // where the coordinator evaluates
        GlobalModel initial = GlobalModel.of(0, spec, fineTuned != null ? fineTuned.initialWeights()
                : InitialWeights.of(spec, t.seed()));
        Device device = null;
        if (config.evaluation().heldOut()) {
            device = Devices.choose(config.device());
            this.heldOut = new DjlHeldOutEvaluation(fineTuned != null ? fineTuned.model()
                    : MilModel.create(spec, device, t.seed()), heldOutSet.bags());
        } else {
            if (fineTuned != null) {
                fineTuned.model().close();
            }
            // an overhead measurement: no engine, and no model kept for evaluation
            this.heldOut = new SkippedHeldOutEvaluation();
        }
        this.store = new StateStore(config.stateDir());
        // a state folder with completed rounds means this coordinator was restarted: take up where it stopped
        Resume resume = store.resume(config.federationId(), spec, initial.weights().specs()).orElse(null);
        if (resume != null && store.savedPretrainingRounds() != plan.pretrainingRounds()) {
            // round r would change from a pretraining round into a supervised one (or back) halfway through
            throw new IllegalStateException("the federation in " + store.dir() + " was started with "
                    + store.savedPretrainingRounds() + " pretraining rounds, but pretraining.rounds is now "
                    + plan.pretrainingRounds() + "; a resumed federation keeps its rounds: set it back, or start a "
                    + "new federation in an empty state_dir");
        }
        store.saveFederation(plan);
        this.resumed = resume != null;
        this.finishedBefore = resume != null && resume.finished() ? resume.finishReason() : null;
        this.heldOutBags = heldOutSet.size();
        if (resume != null) {
            restoreStrategyState(resume, plan.pretrainingRounds());
        }
        this.roundLog = RoundLog.open(store.dir().resolve(ROUND_LOG), PemFiles.readPrivateKey(config.tls().key()),
                PemFiles.readCertificate(config.tls().cert()));
        AuditTrail audit = new AuditTrail(roundLog);
        // the card names the model kept as the federation's result, chosen as the Reporter chose it when it finished
        audit.keptModel(() -> ModelChoice.best(store.rounds(), store.finalValidation(), validationCriterion),
                validationCriterion.configName(), store::rounds);
        if (finishedBefore != null) {
            audit.openedFinished(plan);
        } else {
            audit.opened(plan, resumed, resume == null ? 1 : resume.nextRound(), strategy);
        }
        // dashboard and metrics: listens to the run, counts bytes at the gRPC server
        this.dashboard = config.dashboard().enabled() ? new Dashboard(config) : null;
        java.util.List<RoundListener> listeners = new java.util.ArrayList<>(java.util.List.of(new Reporter(), audit));
        java.util.List<ServerInterceptor> interceptors = new java.util.ArrayList<>(java.util.List.of(observers));
        this.extraEvaluation = config.evaluation().any() ? extraEvaluation(spec, device, heldOutSet) : null;
        if (extraEvaluation != null) {
            listeners.add(extraEvaluation); // after the Reporter: the round is recorded and its model saved
        }
        if (dashboard != null) {
            listeners.add(dashboard.listener());
            interceptors.add(dashboard.interceptor());
        }
        // pretraining rounds average encoder deltas with plain FedAvg whatever the strategy: a server optimiser's
        // state (FedAdam's moments) is for the supervised model and must not be fed the contrastive steps
        this.run = new FederationRun(plan, initial, resume, heldOut, strategy, new FedAvg(),
                new AllListeners(listeners));
        if (dashboard != null) {
            dashboard.follow(run::view);
        }
        // revoked sites stay revoked across restarts: the list is read before the port opens
        this.revocations = Revocations.load(store.dir());
        SiteGate gate = new SiteGate(revocations, Clock.systemUTC());
        this.admin = new AdminControl(run, revocations, gate, audit, Clock.systemUTC());
        dashboard().ifPresent(d -> d.followOperator(admin::status));
        this.offlineRevocations = new org.fedmil.coordinator.admin.OfflineRevocationWatcher(store.dir(),
                PemFiles.readCertificate(config.tls().ca()).getPublicKey(), admin);
        this.server = CoordinatorServer.overMutualTls(config.listen().host(), config.listen().port(), config.tls(), run,
                config.limits(), store.dir().resolve("uploads"), audit, gate, new AdminService(admin),
                interceptors.toArray(ServerInterceptor[]::new));
        log.info("held-out set {}: {} bags, {} features per instance; model {} on {}", config.heldoutDir(),
                heldOutSet.size(), heldOutSet.dim(), spec, device == null ? "no device (held-out evaluation off)"
                        : device);
    }

    /** Scores beside the global model's own AUC: test-time augmentation, ensembles of recent or other models. */
    private EnsembleEvaluation extraEvaluation(ModelSpec spec, Device device, BagDataset heldOutSet) {
        Evaluation e = config.evaluation();
        MilModel model = MilModel.create(spec, device, config.training().seed());
        try {
            java.util.Optional<org.fedmil.mil.eval.TestTimeAugmentation> tta = e.tta().equals("none")
                    ? java.util.Optional.empty()
                    : java.util.Optional.of(new org.fedmil.mil.eval.TestTimeAugmentation(
                    new org.fedmil.mil.data.TileAugmentation(spec.tileFormat().orElseThrow(), e.flips(),
                            e.rotations())));
            java.util.List<org.fedmil.tensor.TensorSet> others = e.ensembleModels().stream()
                    .map(p -> EnsembleEvaluation.otherRun(p, spec, model)).toList();
            return new EnsembleEvaluation(model, heldOutSet.bags(), tta, e.ensembleLastK(), others, store, out);
        } catch (RuntimeException ex) {
            model.close();
            throw ex;
        }
    }

    /** Takes up the server state saved with the last completed round (a stateful strategy: FedAdam, FedAvgM). */
    private void restoreStrategyState(Resume resume, int pretrainingRounds) {
        int last = resume.completed().get(resume.completed().size() - 1).round();
        var saved = store.strategyState(last);
        if (saved.isPresent()) {
            strategy.restore(saved.get());
            log.info("strategy {}: server state of round {} restored", strategy.name(), last);
        } else if (strategy.capabilities().contains(Capability.STATEFUL) && last > pretrainingRounds) {
            // (pretraining rounds are plain FedAvg: the server optimiser has no state before the first supervised one)
            throw new IllegalStateException("strategy " + strategy.name() + " keeps a server state, but the state "
                    + "folder " + store.dir() + " has none for round " + last + " (strategy/state-r" + String.format(
                    "%04d", last) + ".json); was the federation started with another strategy?");
        }
    }

    /** Evaluates the initial model, then opens the port to sites. */
    public Coordinator start() throws IOException {
        out.println("federation '" + config.federationId() + "': " + (config.pretraining().rounds() > 0
                ? config.pretraining().rounds() + " pretraining rounds (1.." + config.pretraining().rounds()
                + ", encoder only) then " : "") + config.rounds() + " rounds, waiting for " + config.minSites()
                + " sites");
        out.println("aggregation: " + strategy.name() + " " + strategy.parameters());
        run.plan().encoderBlock().ifPresent(b -> out.println("encoder fine-tuning: " + b.describe() + " trains with "
                + "the head at every site, on tiles; the held-out set is scored through it"));
        out.println(RoundTable.HEADER);
        if (!resumed) {
            // round 0 is scored before the port opens: on a large held-out set this is the wait before "ready"
            if (config.evaluation().heldOut()) {
                out.println("scoring the held-out set (" + heldOutBags + " bags) before opening the port");
            } else {
                out.println("held-out evaluation is off (evaluation.held_out: false): rounds have no held-out metrics");
            }
        }
        RoundResult last = run.start();
        if (finishedBefore != null) {
            out.println("federation '" + config.federationId() + "' has finished: " + finishedBefore + "; this "
                    + "coordinator admits no site and serves its state read-only (dashboard, fedmil admin status) "
                    + "until stopped. Its results are in " + store.dir() + "; to train again, start a new federation "
                    + "with an empty state_dir");
        } else if (resumed) {
            out.println("resumed from " + store.dir() + " after round " + last.round() + " (model v"
                    + last.modelVersion() + "); waiting for sites to re-join");
            admin.quorumWarning().ifPresent(w -> {
                log.warn(w);
                out.println("warning: " + w);
            });
        }
        if (dashboard != null) {
            dashboard.start(run.history());
            out.println("dashboard on " + dashboard.url() + " (read-only; /metrics for Prometheus)");
        }
        offlineRevocations.start(java.time.Duration.ofSeconds(2));
        server.start();
        out.println("listening on " + config.listen().host() + ":" + server.port() + " (mutual TLS)");
        // a line of its own: scripts wait for the "listening on" line above as it was
        out.println("network: " + MutualTls.nettyNatives());
        out.println(readyLine());
        return this;
    }

    /** The line printed once the port is open, for people and scripts (docs/operator-guide.md). */
    private String readyLine() {
        String at = "coordinator ready: listening on " + config.listen().host() + ":" + server.port()
                + ", federation '" + config.federationId() + "', ";
        if (finishedBefore != null) {
            return at + "finished (admits no site)";
        }
        RunView view = run.view();
        if (view.phase() == FederationRun.Phase.FINISHED) {
            return at + "finished: " + view.finishReason();
        }
        int next = view.round() + 1;
        return at + (next > run.plan().rounds() ? "no round left (the sites evaluate the final model)"
                : "round " + next + " of " + run.plan().rounds() + " next") + ", " + view.joinedSites().size()
                + " of " + run.plan().minSites() + " sites joined";
    }

    public int port() {
        return server.port();
    }

    public FederationRun run() {
        return run;
    }

    /** What the Admin service does, for callers in the same process. */
    public AdminControl admin() {
        return admin;
    }

    public Revocations revocations() {
        return revocations;
    }

    public StateStore store() {
        return store;
    }

    /** The dashboard and metrics, when dashboard.enabled. */
    public java.util.Optional<Dashboard> dashboard() {
        return java.util.Optional.ofNullable(dashboard);
    }

    /**
     * Blocks until the federation finished and every site was told to stop (or a grace period passed). A coordinator
     * started on a federation that had finished already serves it read-only: it blocks until {@link #close}.
     */
    public void awaitCompletion() throws InterruptedException {
        if (finishedBefore != null) {
            closed.await();
            return;
        }
        while (!run.awaitFinished(Duration.ofMinutes(1))) {
            log.debug("federation still running: phase {}, round {}", run.phase(), run.currentRound());
        }
        if (!run.awaitSitesStopped(Duration.ofSeconds(30))) {
            log.warn("not every site collected its stop task within 30 s; shutting down anyway");
        }
    }

    /** Whether the federation this coordinator serves had finished before it started (then it admits no site). */
    public boolean finishedBeforeStart() {
        return finishedBefore != null;
    }

    /**
     * Stops this coordinator without ending the federation (SIGTERM, Ctrl-C): its state is on disk and a coordinator
     * started again on the same state folder takes it up; sites retry until it is back. Says so, unless the
     * coordinator had stopped already (then it says nothing).
     */
    public void shutDown() throws InterruptedException {
        if (closing.get()) {
            closed.await(30, java.util.concurrent.TimeUnit.SECONDS); // let the close under way write its files
            return;
        }
        RunView view = run.view();
        if (view.phase() == FederationRun.Phase.FINISHED) {
            out.println("coordinator stopped; federation '" + config.federationId() + "' had finished ("
                    + view.finishReason() + ")");
        } else {
            out.println("coordinator stopped in round " + view.round() + " (" + view.phase().name().toLowerCase()
                    + "); federation '" + config.federationId() + "' is resumable: start the coordinator again with "
                    + "the same state folder (" + store.dir() + ") and the sites join again on their own");
        }
        close();
    }

    /** Closes the server, the run and the state folder; a second call does nothing. */
    @Override
    public void close() throws InterruptedException {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        try {
            closeParts();
        } finally {
            closed.countDown();
        }
    }

    private void closeParts() throws InterruptedException {
        offlineRevocations.close();
        server.stop();
        if (dashboard != null) {
            dashboard.close();
        }
        run.close();
        if (heldOut instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("closing the held-out evaluation: {}", e.toString());
            }
        }
        if (extraEvaluation != null) {
            extraEvaluation.close();
        }
        roundLog.close();
        store.close();
    }

    private final class Reporter implements RoundListener {
        @Override
        public void siteLeft(String siteId, String reason, int remainingSites) {
            out.printf("site %s left: %s (%d sites remain)%n", siteId, reason, remainingSites);
        }

        @Override
        public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
            out.printf("site %s joined (%s, %s, bags per label %s) — %d of %d%n", siteId, join.softwareVersion(),
                    join.device(), join.bagsPerLabel(), joinedSites, minSites);
        }

        @Override
        public void saveModel(GlobalModel model) {
            store.saveModel(model);
        }

        @Override
        public void roundCompleted(RoundResult result, GlobalModel model) {
            // the model file was written (saveModel) before this record names it
            // the server state belongs to this round: on disk before metrics.json counts the round, so a
            // restart that resumes after it finds the state it needs
            strategy.save().ifPresent(s -> store.saveStrategyState(result.round(), s));
            store.saveRound(result);
            out.println(RoundTable.line(result));
            RoundTable.warningLines(result).forEach(out::println);
            // the choice is remade from the history each round, so it is on disk whenever the run stops
            ModelChoice.best(store.rounds(), Optional.empty(), validationCriterion)
                    .ifPresent(store::saveSelectedModel);
        }

        @Override
        public void finalModelValidated(FederatedValidation v) {
            store.saveFinalValidation(v);
            out.printf(java.util.Locale.ROOT, "final model v%d (round %d) on %d sites' validation bags (%d): val loss "
                    + "%.4f, val auc %s%n", v.modelVersion(), v.modelRound(), v.sites(), v.bags(), v.loss(),
                    v.auc() == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.4f", v.auc()));
            ModelChoice.best(store.rounds(), Optional.of(v), validationCriterion).ifPresent(store::saveSelectedModel);
        }

        @Override
        public void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
            out.printf("round %d (attempt %d) reached its deadline with %d of the %d updates it needs: %s%n", round,
                    attempt, updates, minUpdates, retried ? "running it again" : "skipped");
        }

        @Override
        public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
            store.saveRefusal(new StateStore.Refusal(java.time.Instant.now().toString(), siteId, round, kind, kind.code().name(),
                    reason));
        }

        @Override
        public void stateChanged(RunState state) {
            store.saveState(state);
        }

        @Override
        public void stateChangedByUpdate(RunState state) {
            store.saveStateInBackground(state);
        }

        @Override
        public void siteEvaluated(String siteId, SiteEvaluation e) {
            store.saveEvaluation(new StateStore.Evaluation(siteId, e.modelVersion(), e.metrics()));
            out.printf("site %s evaluated model v%d on its %d bags: auc %s acc %s%n", siteId, e.modelVersion(),
                    e.metrics().n(), RoundTable.fixed(e.metrics().auc()), RoundTable.fixed(e.metrics().accuracy()));
        }

        @Override
        public void finished(String reason) {
            out.println("federation finished: " + reason + "; state in " + store.dir());
            out.println(ModelChoice.best(store.rounds(), store.finalValidation(), validationCriterion).map(v -> String.format(
                    java.util.Locale.ROOT, "model kept: v%d of round %d, the lowest federated validation %s (%.4f over "
                    + "%d validation bags of %d sites); %s", v.modelVersion(), v.modelRound(),
                    validationCriterion.configName().replace('_', ' '), validationCriterion.lossOf(v.metrics()),
                    v.bags(), v.sites(),
                    store.dir().resolve(StateStore.SELECTED_MODEL))).orElse("model kept: none chosen (no site "
                    + "reported validation); the last model is " + store.dir().resolve("models")));
        }
    }
}
