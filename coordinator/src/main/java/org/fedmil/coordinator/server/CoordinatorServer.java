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

    /**
     * @param observers extra interceptors that see every admitted call after the identity check, e.g. to record
     *                  what sites send; they must not change the calls
     */
    public CoordinatorServer(String host, int port, TlsFiles tls, FederationRun run, ServerInterceptor... observers) {
        // ServerInterceptors.intercept runs the last interceptor first: identity, then the observers
        ServerInterceptor[] chain = Arrays.copyOf(observers, observers.length + 1);
        chain[observers.length] = PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE);
        ServerCredentials credentials = MutualTls.serverCredentials(tls.cert(), tls.key(), tls.ca());
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
                // a header plus one data chunk, with room for protobuf framing
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .addService(ServerInterceptors.intercept(new FederationService(run), chain))
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
        server.shutdown();
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    public void blockUntilShutdown() throws InterruptedException {
        server.awaitTermination();
    }
}
