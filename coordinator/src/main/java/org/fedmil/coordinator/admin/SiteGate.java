package org.fedmil.coordinator.admin;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.fedmil.tls.MutualTls;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps revoked sites out and notes when each site was last seen.
 *
 * <ul>
 *   <li>At the TLS handshake ({@link #handshakeCheck()}): a revoked site's certificate is refused before any
 *       call, on every new connection.</li>
 *   <li>At every call (as a server interceptor after the identity check): a connection opened before the
 *       revocation gets {@code PERMISSION_DENIED}; a stream under way (an upload) is ended at its next
 *       message.</li>
 * </ul>
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
    public static String refusal(String site) {
        return "site '" + site + "' has been revoked by the consortium operator; its certificates are refused. "
                + "Contact the operator";
    }

    /** For {@link MutualTls#serverCredentials}: refuses the handshake of a revoked site's certificate. */
    public MutualTls.ClientCheck handshakeCheck() {
        return chain -> {
            PeerIdentity peer;
            try {
                peer = PeerIdentity.of(chain[0]);
            } catch (IllegalArgumentException e) {
                return; // the interceptor refuses it with a clearer message
            }
            if (peer.role() == PeerIdentity.Role.SITE && revocations.isRevoked(peer.commonName())) {
                log.warn("refused the TLS handshake of revoked site '{}' ({})", peer.commonName(),
                        peer.sha256Fingerprint());
                throw new CertificateException(refusal(peer.commonName()));
            }
        };
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        PeerIdentity peer = PeerIdentity.current();
        String site = peer.commonName();
        if (revocations.isRevoked(site)) {
            log.warn("refused {} from revoked site '{}'", call.getMethodDescriptor().getFullMethodName(), site);
            call.close(Status.PERMISSION_DENIED.withDescription(refusal(site)), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        X509Certificate cert = peer.certificate();
        seen.put(site, new Seen(clock.instant(), peer.sha256Fingerprint(), cert.getSerialNumber().toString(16)));
        ServerCall.Listener<ReqT> delegate = next.startCall(call, headers);
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
                    call.close(Status.PERMISSION_DENIED.withDescription(refusal(site)), new Metadata());
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
