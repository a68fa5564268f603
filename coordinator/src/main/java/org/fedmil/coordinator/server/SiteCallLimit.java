package org.fedmil.coordinator.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.tls.PeerIdentity;

/**
 * Caps the calls one site may have open at once (limits.max_concurrent_calls_per_site), over all its
 * connections: a looping or hostile site cannot tie up the coordinator's threads and upload buffers. Runs after
 * the identity check, so the site is the one its certificate names.
 */
final class SiteCallLimit implements ServerInterceptor {

    private final int max;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    SiteCallLimit(int max) {
        this.max = max;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        String site = PeerIdentity.current().commonName();
        AtomicInteger count = open.computeIfAbsent(site, s -> new AtomicInteger());
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("site '" + site + "' already has " + max
                    + " calls open (limits.max_concurrent_calls_per_site); wait for them to finish"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
        // released when the coordinator closes the call, before its status goes out: a site that starts its next
        // call as soon as the last one answered must not find that one still counted (onComplete comes only after
        // the close has been sent, and lost that race on a fast loopback); onComplete/onCancel catch the calls
        // that end without a close from this side (cancelled by the site, or broken off)
        ServerCall<ReqT, RespT> releasing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                release.run();
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<ReqT> delegate;
        try {
            delegate = next.startCall(releasing, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onComplete() {
                release.run();
                super.onComplete();
            }

            @Override
            public void onCancel() {
                release.run();
                super.onCancel();
            }
        };
    }
}
