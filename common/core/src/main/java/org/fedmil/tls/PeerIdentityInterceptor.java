package org.fedmil.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the caller's certificate identity available as {@link PeerIdentity#current()} and,
 * optionally, admits only one role. Register it per service
 * ({@code ServerInterceptors.intercept(federation, PeerIdentityInterceptor.requiring(Role.SITE))})
 * so that an admin certificate cannot act as a site and vice versa.
 *
 * <p>The TLS layer has already checked the chain to the consortium CA; this only reads the
 * verified certificate, and refuses calls that somehow arrive without one.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(PeerIdentityInterceptor.class);

    private final Optional<PeerIdentity.Role> requiredRole;

    private PeerIdentityInterceptor(Optional<PeerIdentity.Role> requiredRole) {
        this.requiredRole = requiredRole;
    }

    /** Any consortium certificate may call. */
    public static PeerIdentityInterceptor anyRole() {
        return new PeerIdentityInterceptor(Optional.empty());
    }

    /** Only certificates issued for {@code role} may call; others get PERMISSION_DENIED. */
    public static PeerIdentityInterceptor requiring(PeerIdentity.Role role) {
        return new PeerIdentityInterceptor(Optional.of(role));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Object remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);

        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "the coordinator only accepts calls over mutual TLS with a consortium certificate"), remote);
        }
        PeerIdentity identity;
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                throw new SSLPeerUnverifiedException("no X.509 peer certificate");
            }
            identity = PeerIdentity.of(leaf);
        } catch (SSLPeerUnverifiedException e) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "no client certificate was presented; use the folder from `fedmil pki issue site NAME`"), remote);
        } catch (IllegalArgumentException e) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "client certificate not usable as an identity: " + e.getMessage()), remote);
        }

        if (requiredRole.isPresent() && identity.role() != requiredRole.get()) {
            String required = requiredRole.get().name().toLowerCase(Locale.ROOT);
            return refuse(call, Status.PERMISSION_DENIED.withDescription(
                    identity.role().name().toLowerCase(Locale.ROOT) + " certificate '" + identity.commonName()
                            + "' may not call " + method + "; it requires a " + required + " certificate"), remote);
        }
        Context context = Context.current().withValue(PeerIdentity.PEER, identity);
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(
            ServerCall<ReqT, RespT> call, Status status, Object remote) {
        log.warn("refused {} from {}: {} {}", call.getMethodDescriptor().getFullMethodName(), remote,
                status.getCode(), status.getDescription());
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
