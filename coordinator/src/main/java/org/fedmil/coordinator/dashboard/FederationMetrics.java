package org.fedmil.coordinator.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.round.AcceptedUpdate;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunView;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;

/**
 * The coordinator's Prometheus metrics (Micrometer), fed by {@link RoundListener} events and by
 * {@link ByteCounter} on the gRPC server. Names as scraped (docs/operator-guide.md lists them):
 * <pre>
 * fedmil_rounds_completed_total                 counter  training rounds aggregated into a new model
 * fedmil_updates_accepted_total                 counter  updates accepted into a round's aggregate
 * fedmil_updates_refused_total{reason=KIND}     counter  uploads refused, by UpdateRefusal kind
 * fedmil_grpc_received_bytes_total              counter  bytes of request messages from admitted site calls
 * fedmil_grpc_sent_bytes_total                  counter  bytes of response messages to admitted site calls
 * fedmil_round_duration_seconds                 timer    a round's wall time (start to evaluated model)
 * fedmil_sites_connected                        gauge    sites joined now
 * fedmil_heldout_auc / fedmil_heldout_loss      gauge    held-out AUC and loss of the latest global model
 * fedmil_round_current                          gauge    the latest completed round (0 = initial model)
 * fedmil_phase{phase=PHASE}                     gauge    1 for the run's phase now, 0 for the others
 * fedmil_paused                                 gauge    1 while an operator has paused the federation
 * fedmil_min_sites                              gauge    sites needed before a round starts
 * fedmil_sites_revoked                          gauge    sites revoked by an admin (revoked-sites.json)
 * jvm_*, process_*, system_*                    the JVM and process (Micrometer's binders), see {@link #bindJvmAndProcess}
 * </pre>
 */
public final class FederationMetrics implements RoundListener {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter roundsCompleted;
    private final Counter updatesAccepted;
    private final Map<UpdateRefusal, Counter> refused = new EnumMap<>(UpdateRefusal.class);
    private final Counter bytesReceived;
    private final Counter bytesSent;
    private final Timer roundDuration;
    // the joined sites themselves, until the run's view is followed
    private final java.util.Set<String> connectedSites = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicReference<Double> heldOutAuc = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> heldOutLoss = new AtomicReference<>(Double.NaN);
    private final AtomicInteger latestRound = new AtomicInteger();
    /** The run's published view, once followed: the gauges read it instead of the events' copies. */
    private volatile Supplier<RunView> view;
    /** The operator's status, once followed: paused and the revoked sites. */
    private volatile Supplier<AdminControl.Status> operator;
    private final AtomicReference<String> phase = new AtomicReference<>(FederationRun.Phase.WAITING_FOR_SITES.name());
    private final AtomicInteger minSites = new AtomicInteger();
    private final List<AutoCloseable> binders = new ArrayList<>();

    public FederationMetrics(String federationId) {
        this(federationId, 0);
    }

    public FederationMetrics(String federationId, int minSites) {
        this.minSites.set(minSites);
        registry.config().commonTags("federation", federationId);
        roundsCompleted = Counter.builder("fedmil.rounds.completed")
                .description("Training rounds aggregated into a new global model (round 0, the initial model, is not counted)")
                .register(registry);
        updatesAccepted = Counter.builder("fedmil.updates.accepted")
                .description("Site updates accepted into a round's aggregate").register(registry);
        // every kind is registered up front, so that a scrape shows zeros rather than missing series
        for (UpdateRefusal kind : UpdateRefusal.values()) {
            refused.put(kind, Counter.builder("fedmil.updates.refused")
                    .description("Uploads refused, by kind (see refusals.json in the state folder for each one)")
                    .tag("reason", kind.name()).register(registry));
        }
        bytesReceived = Counter.builder("fedmil.grpc.received").baseUnit("bytes")
                .description("Serialized size of the request messages of admitted site calls").register(registry);
        bytesSent = Counter.builder("fedmil.grpc.sent").baseUnit("bytes")
                .description("Serialized size of the response messages of admitted site calls").register(registry);
        roundDuration = Timer.builder("fedmil.round.duration")
                .description("Wall time of a training round, from its start to its new model evaluated and saved")
                .register(registry);
        Gauge.builder("fedmil.sites.connected", this, m -> m.followed()
                        .map(v -> (double) v.joinedSites().size()).orElse((double) connectedSites.size()))
                .description("Sites joined now").register(registry);
        Gauge.builder("fedmil.heldout.auc", this, m -> m.latestResult().map(r -> r.heldout().auc())
                        .orElseGet(heldOutAuc::get))
                .description("Held-out AUC of the latest global model").register(registry);
        Gauge.builder("fedmil.heldout.loss", this, m -> m.latestResult().map(r -> r.heldout().loss())
                        .orElseGet(heldOutLoss::get))
                .description("Held-out loss (binary cross-entropy) of the latest global model").register(registry);
        Gauge.builder("fedmil.round.current", this, m -> m.latestResult().map(r -> (double) r.round())
                        .orElse((double) latestRound.get()))
                .description("The latest completed round (0 is the initial model)").register(registry);
        for (FederationRun.Phase p : FederationRun.Phase.values()) {
            Gauge.builder("fedmil.phase", this, m -> m.phaseNow().equals(p.name()) ? 1 : 0).tag("phase", p.name())
                    .description("1 for the federation's phase now, 0 for the others").register(registry);
        }
        Gauge.builder("fedmil.paused", this, m -> m.pausedNow() ? 1 : 0)
                .description("1 while an operator has paused the federation (fedmil admin pause), else 0")
                .register(registry);
        Gauge.builder("fedmil.min.sites", this, m -> m.operatorStatus().map(st -> (double) st.minSites())
                        .orElse((double) m.minSites.get()))
                .description("Sites that must be joined before a round starts (min_sites)").register(registry);
        Gauge.builder("fedmil.sites.revoked", this, m -> m.operatorStatus().map(st -> (double) st.revokedSites())
                        .orElse(0.0))
                .description("Sites revoked by an admin; their certificates are refused").register(registry);
    }

    /**
     * Adds the JVM's and the process's metrics (memory, garbage collection, threads, classes, CPU, uptime, open
     * files), as Micrometer's binders name them: jvm_*, process_*, system_*. For a live coordinator only.
     */
    public synchronized FederationMetrics bindJvmAndProcess() {
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return this;
    }

    /** Reads paused and the revoked sites from the operator's status from now on. */
    public void followOperator(Supplier<AdminControl.Status> status) {
        this.operator = status;
    }

    private Optional<AdminControl.Status> operatorStatus() {
        Supplier<AdminControl.Status> o = operator;
        return o == null ? Optional.empty() : Optional.of(o.get());
    }

    private String phaseNow() {
        return followed().map(v -> v.phase().name()).orElseGet(phase::get);
    }

    private boolean pausedNow() {
        return followed().map(RunView::paused).orElse(false);
    }

    /** Stops the binders that hold resources (the GC listener). */
    public synchronized void close() {
        for (AutoCloseable b : binders) {
            try {
                b.close();
            } catch (Exception e) {
                // nothing to do: the process is stopping the dashboard
            }
        }
        binders.clear();
    }

    @Override
    public void stateChanged(RunState state) {
        phase.set(state.phase().name());
    }

    @Override
    public void finished(String reason) {
        phase.set(FederationRun.Phase.FINISHED.name());
    }

    /**
     * Reads the gauges (sites joined, the latest round and its held-out scores) from the run's published view from
     * now on: a scrape then shows the same moment as the operator's status and the dashboard.
     */
    public void follow(Supplier<RunView> runView) {
        this.view = runView;
    }

    private Optional<RunView> followed() {
        Supplier<RunView> v = view;
        return v == null ? Optional.empty() : Optional.of(v.get());
    }

    private Optional<RoundResult> latestResult() {
        return followed().filter(v -> !v.history().isEmpty()).map(v -> v.history().get(v.history().size() - 1));
    }

    /** The scrape: Prometheus text exposition format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    void received(long bytes) {
        bytesReceived.increment(bytes);
    }

    void sent(long bytes) {
        bytesSent.increment(bytes);
    }

    /** Sets the gauges from the latest completed round, e.g. of a resumed run's history. */
    public void latest(RoundResult result) {
        heldOutAuc.set(result.heldout().auc());
        heldOutLoss.set(result.heldout().loss());
        latestRound.set(result.round());
    }

    @Override
    public void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
        connectedSites.add(siteId);
    }

    @Override
    public void siteLeft(String siteId, String reason, int remainingSites) {
        connectedSites.remove(siteId);
    }

    @Override
    public void roundCompleted(RoundResult result, GlobalModel model) {
        latest(result);
        if (result.round() > 0) {
            roundsCompleted.increment();
            roundDuration.record(Duration.ofNanos((long) (result.seconds() * 1e9)));
        }
    }

    @Override
    public void updateAccepted(AcceptedUpdate update) {
        updatesAccepted.increment();
    }

    @Override
    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
        refused.get(kind).increment();
    }
}
