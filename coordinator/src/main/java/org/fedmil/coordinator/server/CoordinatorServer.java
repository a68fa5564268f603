package org.fedmil.coordinator.server;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.admin.AdminService;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.protocol.Wire;
import org.fedmil.tls.MutualTls;
import org.fedmil.tls.PeerIdentity;
import org.fedmil.tls.ServerHandshakeDeadline;

/**
 * The coordinator's gRPC server, in grpc-java's example shape: it takes a {@link ServerBuilder} and the services'
 * collaborators, and starts, stops and blocks. On the network ({@link #overMutualTls}) that builder is Netty with
 * TLS 1.2+/1.3, client certificates REQUIRED and trusted only when issued by the consortium CA; tests hand in an
 * in-process builder and run the same services and interceptors.
 */
public final class CoordinatorServer {

    private final Server server;
    private final FederationService federation;
    /**
     * Runs the call handlers. Bounded, where grpc's default is a cached pool that grows by a thread for every call
     * in flight (about one per connected site in a burst of downloads and uploads, and kept 60 s after). Safe
     * since no handler waits long: NextTask holds are parked in {@link LongPolls}, not on a thread.
     */
    private final ExecutorService handlers;

    /** The coordinator on the network: Netty on {@code host:port}, mutual TLS with the consortium's certificates. */
    public static CoordinatorServer overMutualTls(String host, int port, TlsFiles tls, FederationRun run,
                                                  CoordinatorConfig.Limits limits, Path spoolDir, AuditTrail audit,
                                                  SiteGate gate, AdminService admin, ServerInterceptor... observers) {
        return new CoordinatorServer(mutualTls(host, port, tls, limits.handshakeTimeoutSeconds()), run, limits,
                spoolDir, audit, gate, admin, observers);
    }

    /** Netty with the consortium's mutual TLS and the coordinator's connection limits. */
    static NettyServerBuilder mutualTls(String host, int port, TlsFiles tls, int handshakeTimeoutSeconds) {
        // revoked sites pass the handshake and are refused at every call (SiteGate), where the refusal can say
        // why; renewed coordinator certificates are picked up at the handshake
        ServerCredentials credentials = MutualTls.serverCredentials(tls.cert(), tls.key(), tls.ca());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
                // a site whose link died without a FIN is noticed within ~40 s, and its broken upload kept for resuming
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                // sites ping every 30 s at most (CoordinatorClient); allow that, refuse faster pinging
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        // a TLS handshake that does not finish is dropped instead of holding a connection, after
        // limits.handshake_timeout_seconds rather than Netty's own 10 s
        return ServerHandshakeDeadline.apply(ServerBuffers.apply(builder), Duration.ofSeconds(handshakeTimeoutSeconds));
    }

    /**
     * Serves on {@code builder}; every caller is identified by its verified client certificate, so a builder
     * without mutual TLS admits no call.
     *
     * @param builder   where and how to listen; the server adds its services, its handler pool and the
     *                  protocol's message size limit
     * @param observers extra interceptors that see every admitted call after the identity check, e.g. to record
     *                  what sites send; they must not change the calls
     */
    public CoordinatorServer(ServerBuilder<?> builder, FederationRun run, CoordinatorConfig.Limits limits,
                             Path spoolDir, AuditTrail audit, SiteGate gate, AdminService admin,
                             ServerInterceptor... observers) {
        this(builder, CallerIdentity.CERTIFICATE, run, limits, spoolDir, audit, gate, admin, observers);
    }

    /** With callers identified by {@code identity}: the certificate's on the network, a test's in process. */
    CoordinatorServer(ServerBuilder<?> builder, CallerIdentity identity, FederationRun run,
                      CoordinatorConfig.Limits limits, Path spoolDir, AuditTrail audit, SiteGate gate,
                      AdminService admin, ServerInterceptor... observers) {
        // ServerInterceptors.intercept runs the last interceptor first: identity, revocation, the per-site limits,
        // the observers; innermost, next to the service, the handler of unexpected exceptions
        ServerInterceptor[] chain = new ServerInterceptor[observers.length + 5];
        chain[0] = new UnexpectedErrors(run);
        System.arraycopy(observers, 0, chain, 1, observers.length);
        chain[observers.length + 1] = new SiteWriteRate(limits.writeCallsPerSecond(), limits.writeCallBurst());
        chain[observers.length + 2] = new SiteCallLimit(limits.maxConcurrentCallsPerSite());
        chain[observers.length + 3] = gate;
        chain[observers.length + 4] = identity.requiring(PeerIdentity.Role.SITE);
        this.federation = new FederationService(run, limits, spoolDir, audit);
        this.handlers = handlerPool();
        this.server = builder
                .executor(handlers)
                // a header plus one data chunk, with room for protobuf framing
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .addService(ServerInterceptors.intercept(LenientRequests.of(federation.bindService()), chain))
                // the same port and TLS; only admin certificates reach Admin, only site certificates Federation
                .addService(ServerInterceptors.intercept(admin, identity.requiring(PeerIdentity.Role.ADMIN)))
                .build();
    }

    private static ExecutorService handlerPool() {
        // handlers also wait on disk (spooling, the round log's fsync, state.json), so more than the cores
        int threads = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "grpc-handler-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public CoordinatorServer start() throws IOException {
        server.start();
        return this;
    }

    /** The port actually bound; useful when the configured port was 0. -1 for a server without a port. */
    public int port() {
        return server.getPort();
    }

    public void stop() throws InterruptedException {
        // held long polls are answered first: shutdown() waits for calls in flight
        federation.close();
        server.shutdown();
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
        handlers.shutdownNow();
    }

    public void blockUntilShutdown() throws InterruptedException {
        server.awaitTermination();
    }
}
