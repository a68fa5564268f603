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
 *   <li>The inbound window is a fixed {@value #WINDOW_BYTES} bytes per connection and stream. grpc's BDP
 *       auto-tuning (which this replaced) grows a window up to 8 MiB from the bytes that arrive while a ping is
 *       answered; on a loaded coordinator the answer is slow, the windows grew, and sixteen uploads kept about 18
 *       MiB more of pooled direct memory than four (docs/benchmarks.md). A fixed window bounds what a connection
 *       holds whatever the load; the price is a ceiling of one window per round trip on a single upload (10 MiB/s
 *       at 50 ms, 5 MiB/s at 100 ms).</li>
 *   <li>Downloads go out in chunks of {@value #DOWNLOAD_CHUNK_BYTES} bytes (the protocol allows up to 1 MiB; a site
 *       takes any size), so a download holds at most the site's window plus one small chunk.</li>
 *   <li>One direct arena for all event loops instead of one per two threads: arenas keep their chunks, so four
 *       arenas kept up to four peaks.</li>
 * </ul>
 */
final class ServerBuffers {

    static final int WINDOW_BYTES = 512 << 10;
    static final int DOWNLOAD_CHUNK_BYTES = 256 << 10;

    /** Pages of 8 KiB in chunks of 2 MiB (grpc's own choice), thread caches as Netty's defaults. */
    static final ByteBufAllocator ALLOCATOR = new PooledByteBufAllocator(true, 0, 1, 8192, 8,
            PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), false);

    private ServerBuffers() {
    }

    static NettyServerBuilder apply(NettyServerBuilder builder) {
        return builder.flowControlWindow(WINDOW_BYTES)
                .withChildOption(ChannelOption.ALLOCATOR, ALLOCATOR);
    }
}
