package org.fedmil.tls;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A NIO connection that can report itself inactive while gRPC's negotiation sees it connect, so that its TLS
 * handshake starts only once {@link DeferredHandshakeStart} has given it its deadline.
 */
final class HeldSocketChannel extends NioSocketChannel {

    /** Only read and written on the connection's event loop, once registered. */
    private boolean held;

    /** A client connection: held while it connects. */
    HeldSocketChannel(long handshakeMillis) {
        pipeline().addFirst(DeferredHandshakeStart.NAME, new DeferredHandshakeStart(handshakeMillis));
    }

    /** An accepted connection: held from now to the end of its registration, and while it is announced active. */
    HeldSocketChannel(Channel parent, SocketChannel socket, long handshakeMillis) {
        super(parent, socket);
        held = true;
        pipeline().addFirst(DeferredHandshakeStart.NAME, new DeferredHandshakeStart(handshakeMillis));
    }

    void held(boolean held) {
        this.held = held;
    }

    @Override
    public boolean isActive() {
        return !held && super.isActive();
    }
}
