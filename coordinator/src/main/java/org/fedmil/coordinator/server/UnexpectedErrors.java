package org.fedmil.coordinator.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a fault of the coordinator meets a site: an exception no handler expected ends the call
 * with INTERNAL and an incident id, never grpc's UNKNOWN "Application error". The stack trace is logged once,
 * under that id, and the call is recorded as an {@code INTERNAL_ERROR} refusal (refusals.json, the round log),
 * so that a site probing for crashes leaves a trace. After the fault the call's handler gets nothing more: its
 * state may be half-changed.
 */
final class UnexpectedErrors implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(UnexpectedErrors.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final FederationRun run;

    UnexpectedErrors(FederationRun run) {
        this.run = run;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        Guard<Q, R> guard = new Guard<>(call, PeerIdentity.current().commonName());
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(guard, headers);
        } catch (RuntimeException e) {
            guard.fault(e);
            return new ServerCall.Listener<>() {
            };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                if (message == null) {
                    guard.unreadable();
                    return;
                }
                guard.run(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                guard.run(super::onHalfClose);
            }

            @Override
            public void onReady() {
                guard.run(super::onReady);
            }

            @Override
            public void onCancel() {
                guard.always(super::onCancel);
            }

            @Override
            public void onComplete() {
                guard.always(super::onComplete);
            }
        };
    }

    /** The call, closed once: by its handler, or here at a fault. */
    private final class Guard<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private final String site;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean faulted;

        Guard(ServerCall<Q, R> call, String site) {
            super(call);
            this.site = site;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (closed.compareAndSet(false, true)) {
                super.close(status, trailers);
            }
        }

        /** Runs a callback of the handler unless an earlier one failed. */
        void run(Runnable callback) {
            if (faulted) {
                return;
            }
            try {
                callback.run();
            } catch (StatusRuntimeException e) {
                close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
            } catch (RuntimeException | AssertionError | LinkageError e) {
                fault(e);
            }
        }

        /** The end-of-call callbacks always reach the handler, so that it releases what it holds. */
        void always(Runnable callback) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                log.warn("site '{}': the end of a {} call failed", site, getMethodDescriptor().getBareMethodName(),
                        e);
            }
        }

        /**
         * A request that does not parse as the method's message (see {@link LenientRequests}): INVALID_ARGUMENT.
         * Recorded as a MALFORMED refusal for the calls that write, which the per-site rate bounds; a read that
         * does not parse is refused and only logged, so that it cannot grow the round log at any rate.
         */
        void unreadable() {
            faulted = true;
            String method = getMethodDescriptor().getBareMethodName();
            String message = "the request is not a valid " + method + " message (it does not parse as the "
                    + "protocol's protobuf); nothing of it was kept. Send messages of the published .proto";
            log.warn("site '{}': {}", site, message);
            if (SiteWriteRate.WRITES.contains(method)) {
                try {
                    run.refused(site, run.currentRound(), UpdateRefusal.MALFORMED.because(message));
                } catch (RuntimeException recording) {
                    log.error("the refusal of an unreadable {} could not be recorded", method, recording);
                }
            }
            close(Status.INVALID_ARGUMENT.withDescription(message), new Metadata());
        }

        void fault(Throwable e) {
            faulted = true;
            String incident = HexFormat.of().formatHex(randomBytes());
            String method = getMethodDescriptor().getBareMethodName();
            log.error("incident {}: {} from site '{}' failed unexpectedly", incident, method, site, e);
            String message = "the coordinator failed on this " + method + " call (incident " + incident
                    + "); nothing of the request was kept. This is a fault of the coordinator, not of the request: "
                    + "tell its operator the incident id";
            try {
                run.refused(site, run.currentRound(), UpdateRefusal.INTERNAL_ERROR.because(message));
            } catch (RuntimeException recording) {
                log.error("incident {}: the refusal could not be recorded", incident, recording);
            }
            if (!closed.get()) {
                try {
                    close(Status.INTERNAL.withDescription(message), new Metadata());
                } catch (RuntimeException closing) {
                    log.debug("incident {}: the call was already closed", incident, closing);
                }
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }
}
