package org.fedmil.site.agent;

import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.Supplier;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.policy.PolicyViolation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a call to the coordinator, with exponential backoff and jitter, while the coordinator is unreachable or
 * the call broke off (a restart, a dropped link), up to connect_timeout_seconds; then it gives up with
 * {@link CoordinatorUnavailable}, which names the cause. Other errors go to the caller at once. A coordinator whose
 * certificate the pinned fingerprint refused is a policy stop, not a retry.
 *
 * <p>Each retry is one log line: the cause as {@link ConnectionProblem} tells it and when the next attempt is.
 * The stack trace is logged at debug level only: a two-minute coordinator restart would otherwise print pages of
 * Netty frames per site.
 */
public final class Retrying {

    private static final Logger log = LoggerFactory.getLogger(Retrying.class);

    private final SiteConfig.Coordinator target;
    private final SiteConfig config;
    private final Duration patience;
    private final CoordinatorIdentity coordinator;

    public Retrying(SiteConfig config, CoordinatorIdentity coordinator) {
        this.config = config;
        this.target = config.coordinator();
        this.patience = Duration.ofSeconds(config.connectTimeoutSeconds());
        this.coordinator = coordinator;
    }

    public <T> T call(String what, Supplier<T> call) throws InterruptedException {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        long start = System.nanoTime();
        long deadline = start + patience.toNanos();
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                T answer = call.get();
                if (attempt > 1) {
                    log.info("{}: the coordinator answered again, at attempt {} after {} s", what, attempt,
                            Duration.ofNanos(System.nanoTime() - start).toSeconds());
                }
                return answer;
            } catch (StatusRuntimeException e) {
                if (coordinator.pinRefusal().isPresent()) {
                    throw new PolicyViolation("coordinator_fingerprint", coordinator.pinRefusal().get());
                }
                if (!Retry.isTransient(e.getStatus().getCode())) {
                    throw e;
                }
                ConnectionProblem problem = problem(e);
                if (System.nanoTime() > deadline) {
                    throw new CoordinatorUnavailable(what, problem, attempt,
                            Duration.ofNanos(System.nanoTime() - start), patience, e);
                }
                Duration pause = backoff.next();
                log.info("{}: {}; attempt {}, next in {} (connect_timeout_seconds {} s)", what, problem.detail(),
                        attempt, seconds(pause), patience.toSeconds());
                log.debug("{}: attempt {} failed", what, attempt, e);
                Thread.sleep(pause.toMillis());
            }
        }
    }

    /** Why {@code e} did not reach the coordinator, for this site's config. */
    public ConnectionProblem problem(StatusRuntimeException e) {
        return ConnectionProblem.of(e, target.host(), target.port(), config.tls(),
                config.coordinator().handshakeTimeoutSeconds());
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    /** As {@link #call}, for a call without an answer. */
    public void run(String what, Runnable call) throws InterruptedException {
        call(what, () -> {
            call.run();
            return null;
        });
    }
}
