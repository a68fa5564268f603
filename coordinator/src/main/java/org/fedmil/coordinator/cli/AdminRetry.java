package org.fedmil.coordinator.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Runs one admin call again after a transient failure, with exponential backoff (1 s, 2 s, 4 s … at most 15 s
 * apart) until {@code retryFor} has passed, and explains the last failure with what it most likely means.
 *
 * <p>Transient: {@code UNAVAILABLE} (nothing listening yet, a connection dropped, or the coordinator's TLS
 * handshake timeout passing while a cold client JVM is still in its first handshake) and, for calls that are safe
 * to repeat, {@code DEADLINE_EXCEEDED}. Status, pause, resume, abort and revoke are idempotent on the coordinator
 * (a repeat answers "already …"), so a retry after a lost answer does no harm; unrevoke of a site no longer
 * revoked is refused, which {@link #hint} explains.
 */
final class AdminRetry {

    /** Whether a call may be sent again when its answer may have been lost. */
    enum Idempotence { SAFE_TO_REPEAT, ONLY_IF_NOT_SENT }

    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private static final Duration FIRST_WAIT = Duration.ofSeconds(1);
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(15);

    private final String name;
    private final String coordinator;
    private final Duration retryFor;
    private final PrintWriter err;
    private final Sleeper sleeper;
    private int attempts;
    private long startedNanos;

    AdminRetry(String name, String coordinator, Duration retryFor, PrintWriter err, Sleeper sleeper) {
        this.name = name;
        this.coordinator = coordinator;
        this.retryFor = retryFor;
        this.err = err;
        this.sleeper = sleeper;
    }

    /** Calls {@code call} until it answers, fails for good, or {@code retryFor} has passed; returns its answer. */
    <T> T run(Supplier<T> call, Idempotence idempotence) throws InterruptedException {
        startedNanos = System.nanoTime();
        Duration wait = FIRST_WAIT;
        attempts = 0;
        while (true) {
            attempts++;
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
                if (!isTransient(e.getStatus().getCode(), idempotence)
                        || elapsed.plus(wait).compareTo(retryFor) > 0) {
                    throw e;
                }
                err.printf(Locale.ROOT, "%s: %s: %s; retrying in %d s (attempt %d)%n", name, e.getStatus().getCode(),
                        e.getStatus().getDescription(), wait.toSeconds(), attempts + 1);
                err.flush();
                sleeper.sleep(wait);
                wait = wait.multipliedBy(2).compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : wait.multipliedBy(2);
            }
        }
    }

    static boolean isTransient(Status.Code code, Idempotence idempotence) {
        return code == Status.Code.UNAVAILABLE
                || code == Status.Code.DEADLINE_EXCEEDED && idempotence == Idempotence.SAFE_TO_REPEAT;
    }

    int attempts() {
        return attempts;
    }

    /** What the failure most likely means, and what to do; the cause named where gRPC keeps it. */
    String hint(StatusRuntimeException e) {
        String tried = attempts > 1 ? String.format(Locale.ROOT, "; %d attempts over %d s (--retry-for)", attempts,
                Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds()) : "";
        Throwable cause = rootCause(e);
        return switch (e.getStatus().getCode()) {
            case UNAVAILABLE -> {
                if (has(e, ConnectException.class)) {
                    yield " (nothing accepts connections at " + coordinator + ": is the coordinator running there, "
                            + "past its 'listening on' line, and is the port right?" + tried + ")";
                }
                if (has(e, UnknownHostException.class)) {
                    yield " (the host of " + coordinator + " does not resolve" + tried + ")";
                }
                if (has(e, SSLException.class)) {
                    yield " (the TLS handshake failed: " + cause.getMessage() + "; is this an admin folder issued by "
                            + "the coordinator's consortium CA, and not expired?" + tried + ")";
                }
                yield " (the coordinator at " + coordinator + " closed the connection before answering: a coordinator"
                        + " drops a TLS handshake that takes longer than its limits.handshake_timeout_seconds "
                        + "(default 20 s), which a client JVM starting cold on a loaded host can exceed; it also "
                        + "happens while it restarts" + tried + ". Run the command again, give --retry-for more "
                        + "seconds, or raise limits.handshake_timeout_seconds)";
            }
            case DEADLINE_EXCEEDED -> " (no answer from " + coordinator + " within the call's deadline: the "
                    + "coordinator is very busy or the network is slow" + tried + ")";
            case PERMISSION_DENIED -> " (use the folder from `fedmil pki issue admin NAME`)";
            case INVALID_ARGUMENT -> attempts > 1 && e.getStatus().getDescription() != null
                    && e.getStatus().getDescription().contains("not revoked")
                    ? " (an earlier attempt whose answer was lost may have done it: `fedmil admin status` shows)"
                    : "";
            default -> "";
        };
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
