package org.fedmil.coordinator.admin;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fedmil.protocol.Revoked;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps revoked sites out and notes when each site was last seen.
 *
 * <p>A revoked site's certificate still completes the TLS handshake (it is the consortium CA's, and the CA check
 * stays in the handshake), and then every call it makes is refused with {@code PERMISSION_DENIED} and a message
 * naming the site, the certificate's serial and what to do. Refusing in the handshake instead would reach the
 * agent only as a TLS "internal error" alert, indistinguishable from a network fault, so it would retry for
 * ever instead of stopping. What a revoked site gets is the same either way: no task, model, receipt or log head,
 * since every Federation call passes this interceptor (Admin calls need an admin certificate); a connection opened
 * before the revocation is refused at its next call, and a stream under way (an upload) is ended at its next
 * message.
 */
public final class SiteGate implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(SiteGate.class);

    /** What a site last called with. */
    public record Seen(Instant time, String certSha256, String certSerial) {
    }

    private final Revocations revocations;
    private final Clock clock;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    public SiteGate(Revocations revocations, Clock clock) {
        this.revocations = revocations;
        this.clock = clock;
    }

    public Optional<Seen> lastSeen(String site) {
        return Optional.ofNullable(seen.get(site));
    }

    public Map<String, Seen> seen() {
        return Map.copyOf(seen);
    }

    /** The refusal text a revoked site's call gets. */
    public static String refusal(String site, String certSerial) {
        return "site '" + site + "' has been revoked by the consortium operator (certificate CN=" + site
                + ", serial " + certSerial + "): this coordinator refuses every call with its certificates, so it "
                + "gets no tasks or models. Contact the consortium operator: they can tell you why, and either "
                + "unrevoke the site or issue it a new certificate";
    }

    /** Why a call with {@code certificate} is refused, if it is: a site certificate of a revoked site. */
    public Optional<String> refusal(X509Certificate certificate) {
        PeerIdentity peer;
        try {
            peer = PeerIdentity.of(certificate);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // the identity interceptor refuses it with a clearer message
        }
        if (peer.role() != PeerIdentity.Role.SITE || !revocations.isRevoked(peer.commonName())) {
            return Optional.empty();
        }
        return Optional.of(refusal(peer.commonName(), certificate.getSerialNumber().toString(16)));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        PeerIdentity peer = PeerIdentity.current();
        String site = peer.commonName();
        X509Certificate cert = peer.certificate();
        Optional<String> refused = refusal(cert);
        if (refused.isPresent()) {
            log.warn("refused {} from revoked site '{}' ({})", call.getMethodDescriptor().getFullMethodName(), site,
                    peer.sha256Fingerprint());
            call.close(Status.PERMISSION_DENIED.withDescription(refused.get()), Revoked.trailers());
            return new ServerCall.Listener<>() {
            };
        }
        seen.put(site, new Seen(clock.instant(), peer.sha256Fingerprint(), cert.getSerialNumber().toString(16)));
        ServerCall<ReqT, RespT> answered = peer.role() != PeerIdentity.Role.SITE ? call
                : new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(Status status, Metadata trailers) {
                        if (!status.isOk() && revocations.isRevoked(site)) {
                            // a call under way when the operator revoked the site (a held poll, told the site
                            // left) ends as the revocation it is, so the agent stops instead of joining again
                            trailers.merge(Revoked.trailers());
                            super.close(Status.PERMISSION_DENIED.withDescription(
                                    refusal(site, cert.getSerialNumber().toString(16))), trailers);
                            return;
                        }
                        super.close(status, trailers);
                    }
                };
        ServerCall.Listener<ReqT> delegate = next.startCall(answered, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean ended;

            @Override
            public void onMessage(ReqT message) {
                if (ended) {
                    return;
                }
                if (revocations.isRevoked(site)) {
                    // listener callbacks are serialized with the service's own use of the call, so closing here is safe
                    ended = true;
                    call.close(Status.PERMISSION_DENIED.withDescription(
                            refusal(site, cert.getSerialNumber().toString(16))), Revoked.trailers());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!ended) {
                    super.onHalfClose();
                }
            }
        };
    }
}
