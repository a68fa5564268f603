package org.fedmil.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

/**
 * Starts a TLS handshake with a chosen deadline on a connection whose {@link SslHandler} gRPC adds itself.
 *
 * <p>gRPC adds the SslHandler while the connection event passes through its negotiation handlers, and the handler
 * starts the handshake (and arms Netty's fixed 10 s timer) the moment it is added to an active connection. So the
 * connection reports itself as not yet active while that event passes ({@link HeldSocketChannel}); then the SslHandler is given
 * the deadline and started, exactly as it would start on a connection that becomes active after the handler is
 * added. If a Netty or gRPC upgrade changes that order, the handshake still runs, with Netty's timer.
 */
final class DeferredHandshakeStart extends ChannelInboundHandlerAdapter {

    static final String NAME = "fedmil-handshake-deadline";

    private final long handshakeMillis;

    DeferredHandshakeStart(long handshakeMillis) {
        this.handshakeMillis = handshakeMillis;
    }

    /**
     * An accepted connection is already connected when gRPC sets it up during registration, and gRPC's negotiation
     * starts at once on a connection it sees active; a server's connections are therefore held from their creation
     * to the end of their registration, so that the negotiation waits for the connection event below.
     */
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        try {
            ctx.fireChannelRegistered();
        } finally {
            ((HeldSocketChannel) ctx.channel()).held(false);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        HeldSocketChannel connection = (HeldSocketChannel) ctx.channel();
        connection.held(true);
        try {
            ctx.fireChannelActive();
        } finally {
            connection.held(false);
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
