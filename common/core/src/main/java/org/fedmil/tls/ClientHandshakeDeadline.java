package org.fedmil.tls;

import io.grpc.ChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;

/**
 * Client channels whose TLS handshake has a deadline the caller chooses, instead of Netty's fixed 10 s.
 *
 * <p>grpc-netty builds the client's {@link SslHandler} itself and offers no way to set its handshake timeout, and the
 * handler starts the handshake (and arms the 10 s timer) the moment it is added to a connected channel. So the
 * channel reports itself as not yet active while the connection event passes through gRPC's negotiation: the
 * SslHandler is added but waits; then it is given the deadline and started, exactly as it would start on a
 * channel that connects after the handler is added. Everything else (certificates, ALPN, what gRPC checks once the
 * handshake completes) is gRPC's own code path. If a Netty or gRPC upgrade changes that order, the handshake still
 * runs, with Netty's timer; {@code ClientHandshakeDeadlineTest} pins both a shorter and a longer deadline.
 *
 * <p>These channels use Netty's NIO transport: epoll's socket channel cannot be extended. A client holds one
 * connection, so the difference is small; the coordinator's server side keeps epoll where it loads.
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
                .channelFactory(() -> new DeadlineChannel(millis));
    }

    /** A NIO socket channel that holds back its handshake until it has been given the deadline. */
    private static final class DeadlineChannel extends NioSocketChannel {
        /** Only read and written on the channel's event loop. */
        private boolean holdingHandshake;

        DeadlineChannel(long handshakeMillis) {
            pipeline().addFirst("fedmil-handshake-deadline", new StartHandshakeWithDeadline(handshakeMillis));
        }

        @Override
        public boolean isActive() {
            return !holdingHandshake && super.isActive();
        }
    }

    private static final class StartHandshakeWithDeadline extends ChannelInboundHandlerAdapter {
        private final long handshakeMillis;

        StartHandshakeWithDeadline(long handshakeMillis) {
            this.handshakeMillis = handshakeMillis;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            DeadlineChannel channel = (DeadlineChannel) ctx.channel();
            channel.holdingHandshake = true;
            try {
                ctx.fireChannelActive();
            } finally {
                channel.holdingHandshake = false;
            }
            ctx.pipeline().remove(this);
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            if (tls != null && !tls.handshakeFuture().isDone()) {
                tls.setHandshakeTimeoutMillis(handshakeMillis);
                try {
                    // starts the held handshake with the deadline; the connection event it passes on again reaches
                    // only gRPC's negotiation handlers, which do not act on it
                    tls.channelActive(ctx.pipeline().context(tls));
                } catch (Exception e) {
                    ctx.fireExceptionCaught(e);
                }
            }
        }
    }
}
