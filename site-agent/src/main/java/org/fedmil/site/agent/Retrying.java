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
 * the call broke off (a restart, a dropped link), up to connect_timeout_seconds; other errors go to the caller.
 * A coordinator whose certificate the pinned fingerprint refused is a policy stop, not a retry.
 */
public final class Retrying {

    private static final Logger log = LoggerFactory.getLogger(Retrying.class);

    private final SiteConfig.Coordinator target;
    private final Duration patience;
    private final CoordinatorIdentity coordinator;

    public Retrying(SiteConfig config, CoordinatorIdentity coordinator) {
        this.target = config.coordinator();
        this.patience = Duration.ofSeconds(config.connectTimeoutSeconds());
        this.coordinator = coordinator;
    }

    public <T> T call(String what, Supplier<T> call) throws InterruptedException {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + patience.toNanos();
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
                log.info("{}: coordinator {}:{} unreachable ({}{}); retrying in {} ms", what, target.host(),
                        target.port(), e.getStatus().getDescription(), cause == null ? "" : ": " + cause.getMessage(),
                        pause.toMillis());
                Thread.sleep(pause.toMillis());
            }
        }
    }

    /** As {@link #call}, for a call without an answer. */
    public void run(String what, Runnable call) throws InterruptedException {
        call(what, () -> {
            call.run();
            return null;
        });
    }
}
