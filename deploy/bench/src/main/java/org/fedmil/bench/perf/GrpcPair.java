package org.fedmil.bench.perf;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSession;
import org.fedmil.coordinator.round.ModelChunks;
import org.fedmil.coordinator.server.ServerBuffers;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.FlowControlledSender;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.MutualTls;

/**
 * A coordinator-like gRPC server and a site's channel on loopback, built as the production ones are: the production
 * mutual-TLS credentials (BoringSSL and epoll wherever Netty loads them), the coordinator's network buffers
 * ({@link ServerBuffers}: its initial window, allocator and download chunk size), the protocol's inbound message
 * limit, the model streamed through {@link FlowControlledSender} and the delta sent in 1 MiB chunks honouring
 * {@code isReady} as {@code CoordinatorClient} does. The service only counts what arrives: the spool's disk writes
 * and the content checks are not the transport.
 */
final class GrpcPair implements AutoCloseable {

    /**
     * How a pair is built.
     *
     * @param name               for the log
     * @param downloadChunkBytes bytes per model chunk on the download
     * @param fixedWindow        a fixed HTTP/2 flow-control window on both ends instead of the production ones
     *                           (auto-tuned), or 0
     * @param readyThreshold     the download's on-ready threshold (bytes gRPC may hold queued before the call stops
     *                           being ready), or 0 for the production one
     * @param maxFrameSize       the HTTP/2 SETTINGS_MAX_FRAME_SIZE both ends advertise ({@link LargeFrames}, an
     *                           experiment through grpc's internal API), or 0 for the default 16 KiB
     * @param writeHighWater     the channels' write-buffer high-water mark (Netty's HTTP/2 flow controller writes
     *                           at most that much at a time, which bounds a DATA frame), or 0 for Netty's 64 KiB
     */
    record Settings(String name, int downloadChunkBytes, int fixedWindow, int readyThreshold, int maxFrameSize,
                    int writeHighWater) {

        /**
         * The production settings with some changed, e.g. {@code "chunk=1048576,window=8388608"}: {@code chunk} the
         * download's chunk bytes, {@code window} a fixed flow-control window on both ends, {@code ready} the
         * download's on-ready threshold, {@code frame} the advertised maximum HTTP/2 frame, {@code highwater} the
         * channels' write-buffer high-water mark.
         */
        static Settings parse(String changes) {
            Settings s = production();
            for (String change : changes.split(",")) {
                String[] kv = change.trim().split("=", 2);
                int value = kv.length == 2 ? Integer.parseInt(kv[1].trim()) : -1;
                switch (kv[0].trim()) {
                    case "chunk" -> s = new Settings(s.name(), value, s.fixedWindow(), s.readyThreshold(),
                            s.maxFrameSize(), s.writeHighWater());
                    case "window" -> s = new Settings(s.name(), s.downloadChunkBytes(), value, s.readyThreshold(),
                            s.maxFrameSize(), s.writeHighWater());
                    case "frame" -> s = new Settings(s.name(), s.downloadChunkBytes(), s.fixedWindow(),
                            s.readyThreshold(), value, s.writeHighWater());
                    case "highwater" -> s = new Settings(s.name(), s.downloadChunkBytes(), s.fixedWindow(),
                            s.readyThreshold(), s.maxFrameSize(), value);
                    case "ready" -> s = new Settings(s.name(), s.downloadChunkBytes(), s.fixedWindow(), value,
                            s.maxFrameSize(), s.writeHighWater());
                    default -> throw new IllegalArgumentException("unknown transport setting '" + change + "' in '"
                            + changes + "'; use chunk=, window=, ready=, frame= and/or highwater=BYTES, separated by "
                            + "commas");
                }
            }
            return new Settings(changes, s.downloadChunkBytes(), s.fixedWindow(), s.readyThreshold(),
                    s.maxFrameSize(), s.writeHighWater());
        }

        /** As the coordinator and a site run. */
        static Settings production() {
            return new Settings("grpc", ServerBuffers.DOWNLOAD_CHUNK_BYTES, 0, 0, 0, 0);
        }
    }

    private final Server server;
    private final ManagedChannel channel;
    private final byte[] model;
    private final String name;
    private volatile SSLSession session;

    /** @param weights the model's tensors; {@code model} is their wire form (TensorCodec), which the upload sends */
    GrpcPair(PartyCredentials coordinator, PartyCredentials site, TensorSet weights, byte[] model, Settings settings)
            throws IOException {
        this.model = model;
        this.name = settings.name();
        io.grpc.ServerCredentials serverTls = MutualTls.serverCredentials(coordinator);
        io.grpc.ChannelCredentials channelTls = MutualTls.channelCredentials(site.cert(), site.key(), site.ca());
        if (settings.maxFrameSize() > 0) {
            serverTls = LargeFrames.server(serverTls, settings.maxFrameSize());
            channelTls = LargeFrames.channel(channelTls, settings.maxFrameSize());
        }
        NettyServerBuilder serverBuilder = ServerBuffers.apply(NettyServerBuilder.forAddress(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverTls))
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .addService(ServerInterceptors.intercept(new Service(weights, settings),
                        new SessionRecorder()));
        if (settings.fixedWindow() > 0) {
            serverBuilder.flowControlWindow(settings.fixedWindow());
        }
        if (settings.writeHighWater() > 0) {
            serverBuilder.withChildOption(io.netty.channel.ChannelOption.WRITE_BUFFER_WATER_MARK,
                    new io.netty.channel.WriteBufferWaterMark(settings.writeHighWater() / 2, settings.writeHighWater()));
        }
        this.server = serverBuilder.build().start();
        NettyChannelBuilder channelBuilder = NettyChannelBuilder.forAddress("localhost", server.getPort(), channelTls)
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024);
        if (settings.fixedWindow() > 0) {
            channelBuilder.flowControlWindow(settings.fixedWindow());
        }
        if (settings.writeHighWater() > 0) {
            channelBuilder.withOption(io.netty.channel.ChannelOption.WRITE_BUFFER_WATER_MARK,
                    new io.netty.channel.WriteBufferWaterMark(settings.writeHighWater() / 2, settings.writeHighWater()));
        }
        this.channel = channelBuilder.build();
    }

    /** The settings' name, for the log. */
    String name() {
        return name;
    }

    /** The TLS cipher suite the connection negotiated (known after the first call). */
    String cipherSuite() {
        SSLSession s = session;
        return s == null ? "unknown" : s.getCipherSuite();
    }

    /** One download, read as the site reads it (CoordinatorClient's blocking iterator). */
    Transfer download() throws Exception {
        return Transfer.time(model.length, () -> {
            long got = 0;
            Iterator<ModelChunk> it = FederationGrpc.newBlockingStub(channel)
                    .downloadModel(DownloadModelRequest.newBuilder().setModelVersion(1).build());
            while (it.hasNext()) {
                got += it.next().getData().size();
            }
            if (got != model.length) {
                throw new IllegalStateException("downloaded " + got + " of " + model.length + " bytes");
            }
        });
    }

    /** One upload of the model's bytes as a delta, sent as CoordinatorClient does: 1 MiB chunks, honouring isReady. */
    Transfer upload() throws Exception {
        return Transfer.time(model.length, this::send);
    }

    private void send() throws Exception {
        CompletableFuture<UploadReceipt> done = new CompletableFuture<>();
        Semaphore ready = new Semaphore(0);
        ClientResponseObserver<UpdateChunk, UploadReceipt> observer = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<UpdateChunk> requests) {
                requests.setOnReadyHandler(ready::release);
            }

            @Override
            public void onNext(UploadReceipt value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
        ClientCallStreamObserver<UpdateChunk> requests = (ClientCallStreamObserver<UpdateChunk>)
                FederationGrpc.newStub(channel).uploadUpdate(observer);
        requests.onNext(UpdateChunk.newBuilder().setHeader(UpdateHeader.newBuilder().setTotalBytes(model.length))
                .build());
        long offset = 0;
        // chunking the delta is part of every real upload (CoordinatorClient), so it is timed
        for (ByteString chunk : Wire.sharedChunks(model)) {
            while (!requests.isReady()) {
                ready.tryAcquire(100, TimeUnit.MILLISECONDS);
            }
            requests.onNext(UpdateChunk.newBuilder().setOffset(offset).setData(chunk).build());
            offset += chunk.size();
        }
        requests.onCompleted();
        UploadReceipt receipt = done.get(5, TimeUnit.MINUTES);
        if (receipt.getUpdatesReceived() != model.length >> 20) {
            throw new IllegalStateException("server counted " + receipt.getUpdatesReceived() + " MiB of "
                    + (model.length >> 20));
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Keeps the TLS session of the calls, to name the cipher the raw-TLS baseline must use too. */
    private final class SessionRecorder implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            return next.startCall(call, headers);
        }
    }

    /** Streams the model as FederationService.downloadModel does and counts an upload's bytes. */
    private static final class Service extends FederationGrpc.FederationImplBase {
        private final TensorSet weights;
        private final int chunkBytes;
        private final int readyThreshold;

        Service(TensorSet weights, Settings settings) {
            this.weights = weights;
            this.chunkBytes = settings.downloadChunkBytes();
            this.readyThreshold = settings.readyThreshold();
        }

        @Override
        public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> response) {
            // a header, then the weights' wire form made a chunk at a time by the coordinator's own ModelChunks,
            // sent as the site reads them (FlowControlledSender)
            ModelChunk header = ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                    .setModelVersion(request.getModelVersion()).setTotalBytes(weights.byteSize())).build();
            ModelChunks chunks = new ModelChunks(weights, chunkBytes);
            if (readyThreshold > 0) {
                ((io.grpc.stub.ServerCallStreamObserver<ModelChunk>) response).setOnReadyThreshold(readyThreshold);
            }
            Stream<ModelChunk> data = Stream.generate(() -> ModelChunk.newBuilder().setData(chunks.next()).build())
                    .limit((weights.byteSize() + chunkBytes - 1) / chunkBytes);
            FlowControlledSender.start(response, Stream.concat(Stream.of(header), data).iterator());
        }

        @Override
        public StreamObserver<UpdateChunk> uploadUpdate(StreamObserver<UploadReceipt> response) {
            return new StreamObserver<>() {
                long received;

                @Override
                public void onNext(UpdateChunk chunk) {
                    received += chunk.getData().size();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    response.onNext(UploadReceipt.newBuilder().setUpdatesReceived((int) (received >> 20)).build());
                    response.onCompleted();
                }
            };
        }
    }
}
