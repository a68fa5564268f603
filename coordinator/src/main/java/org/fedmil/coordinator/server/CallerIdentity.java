package org.fedmil.coordinator.server;

import io.grpc.ServerInterceptor;
import org.fedmil.tls.PeerIdentity;
import org.fedmil.tls.PeerIdentityInterceptor;

/**
 * How the server learns who calls: an interceptor per service that admits one role and makes the caller
 * {@link PeerIdentity#current()}. On the network that is always the verified client certificate
 * ({@link #CERTIFICATE}); the other seam exists for tests that run the services in process, where there is no TLS.
 * Package-private: nothing outside this package, and nothing a caller sends, can choose another.
 */
@FunctionalInterface
interface CallerIdentity {

    /** The caller is the one its verified mutual-TLS client certificate names. */
    CallerIdentity CERTIFICATE = PeerIdentityInterceptor::requiring;

    /** Admits only callers of {@code role}, with their identity in the call's context under {@link PeerIdentity#PEER}. */
    ServerInterceptor requiring(PeerIdentity.Role role);
}
