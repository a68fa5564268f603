package org.fedmil.site.check;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.tls.MutualTls;

/**
 * Whether this site can reach the coordinator over mutual TLS, found by connecting only: a TCP connection, then a
 * channel brought to READY, which gRPC reports after the TLS handshake (the coordinator checked this site's
 * certificate, this site checked the coordinator's CA, host name and pinned fingerprint) and the coordinator's first
 * HTTP/2 settings. No RPC is made, so the coordinator's state does not change.
 */
final class CoordinatorHandshake {

    private final String host;
    private final int port;
    private final TlsFiles tls;
    private final String pinnedFingerprint;
    private final Duration timeout;

    CoordinatorHandshake(String host, int port, TlsFiles tls, String pinnedFingerprint, Duration timeout) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.pinnedFingerprint = pinnedFingerprint;
        this.timeout = timeout;
    }

    CheckResult check() throws InterruptedException {
        String target = host + ":" + port;
        // TCP first, so that "nothing listens / the firewall drops it" is told apart from "TLS refused"
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        } catch (IOException e) {
            return CheckResult.fail("coordinator", "cannot open a TCP connection to " + target + " (" + e + "); "
                    + "check coordinator.host and coordinator.port in site.yaml, that the coordinator is running, and "
                    + "that the firewall lets this machine connect out to port " + port);
        }
        CoordinatorIdentity identity = new CoordinatorIdentity(pinnedFingerprint);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port,
                MutualTls.channelCredentials(tls.cert(), tls.key(), tls.ca(), identity)).build();
        try {
            ConnectivityState state = awaitSettled(channel);
            if (state == ConnectivityState.READY) {
                return CheckResult.pass("coordinator", target + " answered over mutual TLS; its certificate "
                        + identity.certificate().orElseThrow().getSubjectX500Principal().getName() + " has SHA-256 "
                        + "fingerprint " + identity.fingerprint()
                        + (pinnedFingerprint == null ? " (not pinned: set policy.coordinator_fingerprint after "
                        + "confirming it with the consortium operator)" : ", as pinned"));
            }
            if (identity.pinRefusal().isPresent()) {
                return CheckResult.fail("coordinator", identity.pinRefusal().get());
            }
            if (state == ConnectivityState.TRANSIENT_FAILURE) {
                return CheckResult.fail("coordinator", target + " accepts TCP connections but the mutual TLS "
                        + "handshake failed: either its certificate is not from the consortium CA in " + tls.ca()
                        + " or does not name '" + host + "', or it does not accept " + tls.cert()
                        + " (another consortium, or revoked); ask the consortium operator");
            }
            return CheckResult.fail("coordinator", target + " accepted a TCP connection but did not complete a "
                    + "mutual TLS handshake within " + timeout.toSeconds() + " s; is it the FedMIL coordinator?");
        } finally {
            channel.shutdownNow();
        }
    }

    /** Connects and waits for READY, the first TRANSIENT_FAILURE, or the timeout; returns the state then. */
    private ConnectivityState awaitSettled(ManagedChannel channel) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ConnectivityState state = channel.getState(true);
        while (state != ConnectivityState.READY && state != ConnectivityState.TRANSIENT_FAILURE) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return state;
            }
            CountDownLatch changed = new CountDownLatch(1);
            channel.notifyWhenStateChanged(state, changed::countDown);
            changed.await(left, TimeUnit.NANOSECONDS);
            state = channel.getState(true);
        }
        return state;
    }
}
