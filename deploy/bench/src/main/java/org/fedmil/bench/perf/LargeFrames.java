package org.fedmil.bench.perf;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.internal.ObjectPool;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyChannelCredentials;
import io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.InternalProtocolNegotiator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.util.concurrent.Executor;

/**
 * An experiment, not the product: credentials whose connections advertise a larger HTTP/2 SETTINGS_MAX_FRAME_SIZE
 * than the 16 KiB default, so that the peer may send its DATA in fewer, larger frames. grpc-java has no option for
 * it, so this goes through grpc's internal negotiator API: when the peer's first SETTINGS arrives, a SETTINGS frame
 * with the larger maximum is sent back; Netty applies it to this end's frame reader when the peer acknowledges it.
 */
final class LargeFrames {

    private static final java.util.concurrent.atomic.LongAdder FRAMES = new java.util.concurrent.atomic.LongAdder();
    private static final java.util.concurrent.atomic.LongAdder BYTES = new java.util.concurrent.atomic.LongAdder();

    private LargeFrames() {
    }

    /** The mean size of the DATA frames these connections received so far, to see that the setting took. */
    static long meanDataFrameBytes() {
        long n = FRAMES.sum();
        return n == 0 ? 0 : BYTES.sum() / n;
    }

    static ServerCredentials server(ServerCredentials tls, int maxFrameSize) {
        InternalProtocolNegotiator.ServerFactory inner = InternalNettyServerCredentials.toNegotiator(tls);
        return InternalNettyServerCredentials.create(new InternalProtocolNegotiator.ServerFactory() {
            @Override
            public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator(
                    ObjectPool<? extends Executor> offloadExecutorPool) {
                return wrap(inner.newNegotiator(offloadExecutorPool), maxFrameSize);
            }
        });
    }

    static ChannelCredentials channel(ChannelCredentials tls, int maxFrameSize) {
        InternalProtocolNegotiator.ClientFactory inner = InternalNettyChannelCredentials.toNegotiator(tls);
        return InternalNettyChannelCredentials.create(new InternalProtocolNegotiator.ClientFactory() {
            @Override
            public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
                return wrap(inner.newNegotiator(), maxFrameSize);
            }

            @Override
            public int getDefaultPort() {
                return inner.getDefaultPort();
            }
        });
    }

    private static InternalProtocolNegotiator.ProtocolNegotiator wrap(
            InternalProtocolNegotiator.ProtocolNegotiator negotiator, int maxFrameSize) {
        return new InternalProtocolNegotiator.ProtocolNegotiator() {
            @Override
            public AsciiString scheme() {
                return negotiator.scheme();
            }

            @Override
            public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
                grpcHandler.decoder().frameListener(new Http2FrameListenerDecorator(
                        grpcHandler.decoder().frameListener()) {
                    private boolean sent;

                    @Override
                    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
                        super.onSettingsRead(ctx, settings);
                        if (!sent) {
                            sent = true;
                            grpcHandler.encoder().writeSettings(ctx, new Http2Settings().maxFrameSize(maxFrameSize),
                                    ctx.newPromise());
                            ctx.flush();
                        }
                    }


                    @Override
                    public int onDataRead(ChannelHandlerContext ctx, int streamId, io.netty.buffer.ByteBuf data,
                                          int padding, boolean endOfStream) throws Http2Exception {
                        FRAMES.increment();
                        BYTES.add(data.readableBytes());
                        return super.onDataRead(ctx, streamId, data, padding, endOfStream);
                    }
                });
                return negotiator.newHandler(grpcHandler);
            }

            @Override
            public void close() {
                negotiator.close();
            }
        };
    }
}
