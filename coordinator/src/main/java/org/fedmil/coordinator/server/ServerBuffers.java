package org.fedmil.coordinator.server;

import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;

/**
 * The network buffers of the coordinator's connections, sized so that its native memory does not grow with the
 * number of sites beyond what is in flight. What a connection holds is what is in flight on it: an upload's bytes
 * the handler has not yet spooled (up to the HTTP/2 flow-control window) and a download's chunk being encrypted
 * and written. grpc's defaults (a 1 MiB window, 1 MiB chunks, four pooled direct arenas on two cores, each keeping
 * its own peak) made that about 2 MiB per connected site in direct buffers, kept after the round's burst.
 *
 * <ul>
 *   <li>The inbound window starts at {@value #INITIAL_WINDOW_BYTES} bytes and grows with the link's measured
 *       bandwidth-delay product (grpc's BDP auto-tuning), so a fast, far site still gets a large window while a
 *       site on the same network costs little.</li>
 *   <li>Downloads go out in chunks of {@value #DOWNLOAD_CHUNK_BYTES} bytes (the protocol allows up to 1 MiB; a site
 *       takes any size), so a download holds at most the site's window plus one small chunk.</li>
 *   <li>One direct arena for all event loops instead of one per two threads: arenas keep their chunks, so four
 *       arenas kept up to four peaks.</li>
 * </ul>
 */
final class ServerBuffers {

    static final int INITIAL_WINDOW_BYTES = 256 << 10;
    static final int DOWNLOAD_CHUNK_BYTES = 256 << 10;

    /** Pages of 8 KiB in chunks of 2 MiB (grpc's own choice), thread caches as Netty's defaults. */
    static final ByteBufAllocator ALLOCATOR = new PooledByteBufAllocator(true, 0, 1, 8192, 8,
            PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), false);

    private ServerBuffers() {
    }

    static NettyServerBuilder apply(NettyServerBuilder builder) {
        return builder.initialFlowControlWindow(INITIAL_WINDOW_BYTES)
                .withChildOption(ChannelOption.ALLOCATOR, ALLOCATOR);
    }
}
