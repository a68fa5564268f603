package org.fedmil.coordinator.dashboard;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Counts the bytes of every request and response message of the site calls it sees (their protobuf serialized
 * size: model downloads and update uploads dominate) into {@link FederationMetrics}. It changes nothing in the calls.
 */
public final class ByteCounter implements ServerInterceptor {

    private final FederationMetrics metrics;

    public ByteCounter(FederationMetrics metrics) {
        this.metrics = metrics;
    }

    static long size(Object message) {
        return message instanceof MessageLite m ? m.getSerializedSize() : 0;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                metrics.sent(size(message));
                super.sendMessage(message);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
            @Override
            public void onMessage(Q message) {
                metrics.received(size(message));
                super.onMessage(message);
            }
        };
    }
}
