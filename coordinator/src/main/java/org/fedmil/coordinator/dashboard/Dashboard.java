package org.fedmil.coordinator.dashboard;

import io.grpc.ServerInterceptor;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunView;

/**
 * The coordinator's dashboard and metrics, wired together: the state the page shows and the Prometheus registry
 * (both fed by {@link #listener()}), the byte counter for the gRPC server ({@link #interceptor()}) and the HTTP
 * server that serves them, started by {@link #start}.
 */
public final class Dashboard implements AutoCloseable {

    private final CoordinatorConfig config;
    private final DashboardState state;
    private final FederationMetrics metrics;
    private final ByteCounter bytes;
    private DashboardServer server;

    public Dashboard(CoordinatorConfig config) {
        this.config = config;
        // rounds as the round log numbers them: pretraining rounds first
        this.state = new DashboardState(config.federationId(), config.pretraining().rounds() + config.rounds(),
                config.minSites(), Clock.systemUTC());
        this.metrics = new FederationMetrics(config.federationId(), config.minSites()).bindJvmAndProcess();
        this.bytes = new ByteCounter(metrics);
    }

    /** Tells the page's state, then the metrics, of every event. */
    public RoundListener listener() {
        return AllListeners.of(state, metrics);
    }

    /** The page and the gauges show the run's published view (phase, round, joined sites, latest scores). */
    public void follow(Supplier<RunView> view) {
        state.follow(view);
        metrics.follow(view);
    }

    /**
     * The page and the gauges take paused-by-whom and every site (revoked and departed ones too, with the same state
     * words and update counts as {@code fedmil admin status}) from the operator's status from now on.
     */
    public void followOperator(Supplier<AdminControl.Status> status) {
        state.followOperator(status);
        metrics.followOperator(status);
    }

    public ServerInterceptor interceptor() {
        return bytes;
    }

    public DashboardState state() {
        return state;
    }

    public FederationMetrics metrics() {
        return metrics;
    }

    /**
     * Opens the HTTP server. {@code history} holds the rounds completed before (those of a resumed run) so the page
     * and the held-out gauges show them; counters count from this start.
     */
    public synchronized Dashboard start(List<RoundResult> history) {
        for (RoundResult r : history) {
            state.roundCompleted(r, null);
        }
        if (!history.isEmpty()) {
            metrics.latest(history.get(history.size() - 1));
        }
        CoordinatorConfig.Dashboard d = config.dashboard();
        server = DashboardServer.forHost(d.host(), d.port(), config.tls(), state::snapshot, metrics::scrape).start();
        return this;
    }

    public synchronized int port() {
        return server.port();
    }

    public synchronized String url() {
        return server.url();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop();
            server = null;
        }
        metrics.close();
    }
}
