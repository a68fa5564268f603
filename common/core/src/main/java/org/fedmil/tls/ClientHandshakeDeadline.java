package org.fedmil.tls;

import io.grpc.ChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;

/**
 * Client channels whose TLS handshake has a deadline the caller chooses, instead of Netty's fixed 10 s.
 *
 * <p>grpc-netty builds the client's {@link io.netty.handler.ssl.SslHandler} itself and offers no way to set its
 * handshake timeout; {@link DeferredHandshakeStart} sets it. Everything else (certificates, ALPN, what gRPC checks
 * once the handshake completes) is gRPC's own code path; {@code ClientHandshakeDeadlineTest} pins both a shorter
 * and a longer deadline.
 *
 * <p>These channels use Netty's NIO transport: epoll's socket channel cannot be extended. A client holds one
 * connection, so the difference is small; the coordinator's server side does the same ({@link ServerHandshakeDeadline}).
 */
public final class ClientHandshakeDeadline {

    /** Netty's own client-side limit, kept as the default. */
    public static final int DEFAULT_SECONDS = 10;

    /** Past this a handshake is not slow but stuck; a larger value would only delay the diagnosis. */
    public static final int MAX_SECONDS = 600;

    /** One small loop group for all clients of this process: daemon threads, so a CLI exits when it is done. */
    private static final class Loops {
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2,
                new DefaultThreadFactory("fedmil-client", true), NioIoHandler.newFactory());
    }

    private ClientHandshakeDeadline() {
    }

    /** A channel builder for {@code host:port} whose TLS handshakes are given up after {@code timeout}. */
    public static NettyChannelBuilder channelBuilder(String host, int port, ChannelCredentials credentials,
                                                     Duration timeout) {
        long millis = timeout.toMillis();
        if (millis < 1 || timeout.toSeconds() > MAX_SECONDS) {
            throw new IllegalArgumentException("TLS handshake timeout " + timeout + " is outside 1 ms.." + MAX_SECONDS + " s");
        }
        return NettyChannelBuilder.forAddress(host, port, credentials)
                .eventLoopGroup(Loops.GROUP)
                .channelFactory(() -> new HeldSocketChannel(millis));
    }
}
