package org.fedmil.tls;

import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.SocketUtils;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server connections whose TLS handshake may take as long as the operator configured, instead of Netty's fixed 10 s.
 *
 * <p>grpc-netty adds the server's {@link io.netty.handler.ssl.SslHandler} when an accepted connection becomes active,
 * and the handler arms its own 10 s timer at once; {@code handshakeTimeout} on the builder only adds gRPC's timer
 * beside it. {@link DeferredHandshakeStart} gives the SslHandler the configured limit instead. Certificates, ALPN and
 * the peer identity stay gRPC's own code. {@code ServerHandshakeDeadlineTest} pins a ClientHello arriving after
 * Netty's 10 s.
 *
 * <p>The server then runs on Netty's NIO transport: epoll's channels cannot be extended.
 */
public final class ServerHandshakeDeadline {

    private static final Logger LOG = LoggerFactory.getLogger(ServerHandshakeDeadline.class);

    /** Shared by every server of the process, as gRPC's own default groups are; daemon threads. */
    private static final class Loops {
        static final EventLoopGroup BOSS = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("fedmil-accept", true), NioIoHandler.newFactory());
        static final EventLoopGroup WORKERS = new MultiThreadIoEventLoopGroup(0,
                new DefaultThreadFactory("fedmil-server", true), NioIoHandler.newFactory());
    }

    private ServerHandshakeDeadline() {
    }

    /** {@code builder} with every accepted connection's TLS handshake given up after {@code timeout}. */
    public static NettyServerBuilder apply(NettyServerBuilder builder, Duration timeout) {
        long millis = timeout.toMillis();
        if (millis < 1 || timeout.toSeconds() > ClientHandshakeDeadline.MAX_SECONDS) {
            throw new IllegalArgumentException("TLS handshake timeout " + timeout + " is outside 1 ms.."
                    + ClientHandshakeDeadline.MAX_SECONDS + " s");
        }
        return builder.bossEventLoopGroup(Loops.BOSS)
                .workerEventLoopGroup(Loops.WORKERS)
                .channelFactory(() -> new Acceptor(millis))
                .handshakeTimeout(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The listening channel: NIO's own, except that it accepts into {@link HeldSocketChannel}s. */
    private static final class Acceptor extends NioServerSocketChannel {
        private final long handshakeMillis;

        Acceptor(long handshakeMillis) {
            this.handshakeMillis = handshakeMillis;
        }

        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            SocketChannel accepted = SocketUtils.accept(javaChannel());
            if (accepted == null) {
                return 0;
            }
            try {
                buf.add(new HeldSocketChannel(this, accepted, handshakeMillis));
                return 1;
            } catch (Throwable t) {
                LOG.warn("Could not set up an accepted connection; it is closed", t);
                accepted.close();
                return 0;
            }
        }
    }
}
