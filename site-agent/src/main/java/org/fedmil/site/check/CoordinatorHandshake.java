package org.fedmil.site.check;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.site.agent.ConnectionProblem;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.tls.ClientHandshakeDeadline;
import org.fedmil.tls.MutualTls;

/**
 * Whether this site can reach the coordinator over mutual TLS, and whether the coordinator would admit it: a TCP
 * connection first (so that "nothing listens / the firewall drops it" is told apart from "TLS refused"), then one
 * CheckJoin call, which runs the TLS handshake (the coordinator checks this site's certificate, this site the
 * coordinator's CA, host name and pinned fingerprint) and every check of a join (revoked, finished, the model's
 * data shape and encoder) without changing anything at the coordinator.
 */
final class CoordinatorHandshake {

    private final String host;
    private final int port;
    private final TlsFiles tls;
    private final String pinnedFingerprint;
    private final Duration timeout;
    private final Duration handshakeTimeout;

    /** @param handshakeTimeout the agent's limit on one TLS handshake (coordinator.handshake_timeout_seconds) */
    CoordinatorHandshake(String host, int port, TlsFiles tls, String pinnedFingerprint, Duration timeout,
                         Duration handshakeTimeout) {
        this.handshakeTimeout = handshakeTimeout;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.pinnedFingerprint = pinnedFingerprint;
        this.timeout = timeout;
    }

    /**
     * The "coordinator" line, and the "admission" line when the handshake succeeded and {@code join} is given.
     *
     * @param join what the agent would send at join; empty when the data could not be read
     */
    List<CheckResult> check(Optional<JoinRequest> join) {
        String target = host + ":" + port;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        } catch (IOException e) {
            return List.of(CheckResult.fail("coordinator", "cannot open a TCP connection to " + target + ": "
                    + ConnectionProblem.of(e, host, port, tls, (int) handshakeTimeout.toSeconds()).detail()
                    + " (check coordinator.host and coordinator.port in site.yaml, that the coordinator is running, "
                    + "and that the firewall lets this machine connect out to port " + port + ")"));
        }
        CoordinatorIdentity identity = new CoordinatorIdentity(pinnedFingerprint);
        ManagedChannel channel = ClientHandshakeDeadline.channelBuilder(host, port,
                MutualTls.channelCredentials(tls.cert(), tls.key(), tls.ca(), identity), handshakeTimeout).build();
        try {
            FederationGrpc.FederationBlockingStub stub = FederationGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
            JoinResponse admitted = stub.checkJoin(join.orElse(JoinRequest.getDefaultInstance()));
            return List.of(reached(target, identity), join.isEmpty()
                    ? CheckResult.skip("admission", "not asked: this site's data could not be read")
                    : CheckResult.pass("admission", "the coordinator would admit this site to federation '"
                    + admitted.getFederationId() + "' (" + admitted.getTotalRounds() + " rounds)"));
        } catch (StatusRuntimeException e) {
            return failed(target, identity, e);
        } finally {
            channel.shutdownNow();
        }
    }

    private List<CheckResult> failed(String target, CoordinatorIdentity identity, StatusRuntimeException e) {
        if (identity.pinRefusal().isPresent()) {
            return List.of(CheckResult.fail("coordinator", identity.pinRefusal().get()));
        }
        Status.Code code = e.getStatus().getCode();
        if (identity.certificate().isPresent() && code != Status.Code.UNAVAILABLE
                && code != Status.Code.DEADLINE_EXCEEDED) {
            // the handshake went through: what failed is the coordinator's answer
            CheckResult admission = switch (code) {
                case UNIMPLEMENTED -> CheckResult.warn("admission", "not checked: the coordinator is older than "
                        + "this site agent and cannot say whether it would admit this site");
                case PERMISSION_DENIED, FAILED_PRECONDITION -> CheckResult.fail("admission",
                        e.getStatus().getDescription());
                default -> CheckResult.fail("admission", "the coordinator answered " + ConnectionProblem.brief(e));
            };
            return List.of(reached(target, identity), admission);
        }
        if (code == Status.Code.DEADLINE_EXCEEDED) {
            return List.of(CheckResult.fail("coordinator", target + " accepted a TCP connection but did not complete "
                    + "a mutual TLS handshake and answer within " + timeout.toSeconds() + " s; is it the FedMIL "
                    + "coordinator? (--timeout-seconds waits longer)"));
        }
        ConnectionProblem problem = ConnectionProblem.of(e, host, port, tls, (int) handshakeTimeout.toSeconds());
        return List.of(CheckResult.fail("coordinator", target + " accepts TCP connections but the mutual TLS "
                + "handshake failed: " + problem.detail()));
    }

    private CheckResult reached(String target, CoordinatorIdentity identity) {
        return CheckResult.pass("coordinator", target + " answered over mutual TLS; its certificate "
                + identity.certificate().orElseThrow().getSubjectX500Principal().getName() + " has SHA-256 "
                + "fingerprint " + identity.fingerprint()
                + (pinnedFingerprint == null ? " (not pinned: set policy.coordinator_fingerprint after "
                + "confirming it with the consortium operator)" : ", as pinned"));
    }
}
