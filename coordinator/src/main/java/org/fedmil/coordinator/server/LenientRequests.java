package org.fedmil.coordinator.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.InputStream;

/**
 * A service whose requests that do not parse reach the interceptors as {@code null} instead of failing inside
 * grpc, where the failure would end the call with UNKNOWN "Application error processing RPC" before any of the
 * coordinator's code could answer it. {@link UnexpectedErrors} refuses such a message with INVALID_ARGUMENT.
 */
final class LenientRequests {

    private LenientRequests() {
    }

    static ServerServiceDefinition of(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            b.addMethod(lenient(m));
        }
        return b.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> lenient(ServerMethodDefinition<Q, R> m) {
        MethodDescriptor<Q, R> method = m.getMethodDescriptor();
        MethodDescriptor.Marshaller<Q> parse = method.getRequestMarshaller();
        MethodDescriptor.Marshaller<Q> orNull = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(Q value) {
                return parse.stream(value);
            }

            @Override
            public Q parse(InputStream stream) {
                try {
                    return parse.parse(stream);
                } catch (RuntimeException notProtobuf) {
                    return null;
                }
            }
        };
        return ServerMethodDefinition.create(method.toBuilder(orNull, method.getResponseMarshaller()).build(),
                m.getServerCallHandler());
    }
}
