package org.fedmil.coordinator.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.fedmil.coordinator.round.AcceptedUpdate;
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

    public FederationMetrics(String federationId) {
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
