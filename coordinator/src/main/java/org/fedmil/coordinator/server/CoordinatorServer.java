package org.fedmil.coordinator.server;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.admin.AdminService;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.protocol.Wire;
import org.fedmil.tls.MutualTls;
import org.fedmil.tls.PeerIdentityInterceptor;
import org.fedmil.tls.PeerIdentity;

/**
 * The coordinator's gRPC server: Netty, TLS 1.2+/1.3 with client certificates REQUIRED and trusted only when
 * issued by the consortium CA. Starts, stops, and blocks, like grpc-java's example servers.
 */
public final class CoordinatorServer {

    private final Server server;
    private final FederationService federation;
    /**
     * Runs the call handlers. Bounded, where grpc's default is a cached pool that grows by a thread for every call
     * in flight (about one per connected site in a burst of downloads and uploads, and kept 60 s after). Safe
     * since no handler waits long: NextTask holds are parked in {@link LongPolls}, not on a thread.
     */
    private final java.util.concurrent.ExecutorService handlers;

    /**
     * @param observers extra interceptors that see every admitted call after the identity check, e.g. to record
     *                  what sites send; they must not change the calls
     */
    public CoordinatorServer(String host, int port, TlsFiles tls, FederationRun run, CoordinatorConfig.Limits limits,
                             java.nio.file.Path spoolDir, org.fedmil.coordinator.audit.AuditTrail audit,
                             SiteGate gate, AdminService admin, ServerInterceptor... observers) {
        // ServerInterceptors.intercept runs the last interceptor first: identity, revocation, the per-site limit,
        // the observers
        ServerInterceptor[] chain = Arrays.copyOf(observers, observers.length + 3);
        chain[observers.length] = new SiteCallLimit(limits.maxConcurrentCallsPerSite());
        chain[observers.length + 1] = gate;
        chain[observers.length + 2] = PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE);
        // revoked sites are refused at the handshake; renewed coordinator certificates are picked up at it
        this.federation = new FederationService(run, limits, spoolDir, audit);
        ServerCredentials credentials = MutualTls.serverCredentials(tls.cert(), tls.key(), tls.ca(),
                gate.handshakeCheck());
        // handlers also wait on disk (spooling, the round log's fsync, state.json), so more than the cores
        int threads = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.handlers = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "grpc-handler-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
                .executor(handlers)
                // a header plus one data chunk, with room for protobuf framing
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                // a site whose link died without a FIN is noticed within ~40 s, and its broken upload kept for resuming
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                // sites ping every 30 s at most (CoordinatorClient); allow that, refuse faster pinging
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                // a TLS handshake that does not finish is dropped instead of holding a connection
                .handshakeTimeout(20, TimeUnit.SECONDS)
                .addService(ServerInterceptors.intercept(federation, chain))
                // the same port and TLS; only admin certificates reach Admin, only site certificates Federation
                .addService(ServerInterceptors.intercept(admin,
                        PeerIdentityInterceptor.requiring(PeerIdentity.Role.ADMIN)))
                .build();
    }

    public CoordinatorServer start() throws IOException {
        server.start();
        return this;
    }

    /** The port actually bound; useful when the configured port was 0. */
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
