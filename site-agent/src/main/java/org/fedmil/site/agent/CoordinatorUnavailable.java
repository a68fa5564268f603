package org.fedmil.site.agent;

import io.grpc.StatusRuntimeException;
import java.time.Duration;

/**
 * A call to the coordinator still failed for want of a connection after connect_timeout_seconds of retries; the
 * agent stops with {@link SiteAgent#UNREACHABLE} (systemd starts it again) instead of retrying for ever.
 */
public final class CoordinatorUnavailable extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ConnectionProblem problem;

    CoordinatorUnavailable(String what, ConnectionProblem problem, int attempts, Duration tried, Duration patience,
                           StatusRuntimeException last) {
        super(what + ": gave up after " + attempts + " attempts in " + tried.toSeconds() + " s "
                + "(connect_timeout_seconds " + patience.toSeconds() + "): " + problem.detail(), last);
        this.problem = problem;
    }

    public ConnectionProblem problem() {
        return problem;
    }
}
