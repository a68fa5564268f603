package org.fedmil.bench.perf;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.FlowControlledSender;
import org.fedmil.protocol.Wire;
import org.fedmil.tls.MutualTls;

/**
 * A model download and a delta upload over the production transport (gRPC on Netty, the
 * production mutual-TLS credentials, 1 MiB chunks, the coordinator's inbound message limit) on loopback, against
 * a raw JDK TLS 1.3 socket with the same certificates moving the same bytes, back to back in every repetition.
 * The gRPC side is a minimal Federation service that streams the model as the coordinator's
 * {@code downloadModel} does ({@link Wire#sharedChunks} through {@link FlowControlledSender}) and counts an upload's bytes, so that only the transport is
 * measured, not the spool's disk writes or the content checks.
 */
public final class TransportBenchmark implements PerfBenchmark {

    /**
     * A fixed HTTP/2 flow-control window tried against grpc-java's default (1 MiB, grown by BDP probing), which
     * the production server and client keep: on the shared machine the fixed window was not faster
     * (docs/benchmarks.md), so it is measured, not adopted.
     */
    static final int TRIED_WINDOW_BYTES = 8 << 20;

    @Override
    public String id() {
        return "transport";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int bytes = context.pick(128 << 20, 4 << 20);
        byte[] model = AggregationBenchmark.update(AggregationBenchmark.specs(bytes / 4), 3);
        Path pki = context.work().resolve("transport-pki");
        deleteTree(pki);
        ConsortiumCa ca = ConsortiumCa.init(pki, "bench", Duration.ofDays(400));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(90));
        PartyCredentials site = ca.issueSite("bench-site", Duration.ofDays(90));
        // gRPC's and Netty's paths are compiled by the JIT only after ~1 GiB has moved (on a quiet machine the
        // first nine 128 MiB repetitions still rose from ~0.8 to ~1.4 GB/s on both sides), and a coordinator or a
        // site moves models for days: the steady state is the figure, so both sides get 6 warm-up repetitions
        int warmups = context.pick(6, 1);
        int reps = context.pick(11, 2);
        double[] grpcDown = new double[reps];
        double[] grpcUp = new double[reps];
        double[] defaultDown = new double[reps];
        double[] defaultUp = new double[reps];
        double[] rawDown = new double[reps];
        double[] rawUp = new double[reps];
        try (GrpcPair grpc = new GrpcPair(coordinator, site, model, 0);
             GrpcPair tried = new GrpcPair(coordinator, site, model, TRIED_WINDOW_BYTES);
             RawTlsPair raw = new RawTlsPair(coordinator, site)) {
            for (int r = -warmups; r < reps; r++) {
                double gd = grpc.download();
                double dd = tried.download();
                double rd = raw.transfer(model, false);
                double gu = grpc.upload();
                double du = tried.upload();
                double ru = raw.transfer(model, true);
                context.out().printf(Locale.ROOT, "rep %d: grpc down %.0f up %.0f, grpc-8MiB-window down %.0f up "
                        + "%.0f, raw tls down %.0f up %.0f MB/s%n", r, gd / 1e6, gu / 1e6, dd / 1e6, du / 1e6,
                        rd / 1e6, ru / 1e6);
                if (r >= 0) {
                    grpcDown[r] = gd;
                    grpcUp[r] = gu;
                    defaultDown[r] = dd;
                    defaultUp[r] = du;
                    rawDown[r] = rd;
                    rawUp[r] = ru;
                }
            }
        }
        PairedRatios down = PairedRatios.of(grpcDown, rawDown);
        PairedRatios up = PairedRatios.of(grpcUp, rawUp);
        // the line a reader copies when listing runs: the pair ratios' spread, not only the medians' ratio
        context.out().printf(Locale.ROOT, "transport ratio gRPC/raw TLS: download %s; upload %s%n",
                down.summary(TARGET), up.summary(TARGET));
        String note = String.format(Locale.ROOT, "%d MiB over loopback, median of %d after %d warm-ups, gRPC and raw "
                        + "TLS back to back in each repetition; production settings: 1 MiB chunks, grpc-java's default "
                        + "flow control (1 MiB window, BDP auto-tuning), mutual TLS (EC P-256) on both", bytes >> 20,
                reps, warmups);
        String before = String.format(Locale.ROOT, "%d MiB, as above, with a fixed %d MiB flow-control window on "
                + "both ends (tried, not adopted)", bytes >> 20, TRIED_WINDOW_BYTES >> 20);
        String raw = "raw JDK SSLSocket, TLS 1.3, same certificates, same bytes";
        return List.of(
                new Figure("transport.download", "model download over mutual-TLS gRPC", Medians.median(grpcDown) / 1e6,
                        "MB/s", Medians.median(rawDown) / 1e6, raw, TARGET, true,
                        note + "; pair ratios " + down.summary(TARGET)),
                new Figure("transport.upload", "delta upload over mutual-TLS gRPC", Medians.median(grpcUp) / 1e6,
                        "MB/s", Medians.median(rawUp) / 1e6, raw, TARGET, true,
                        note + "; pair ratios " + up.summary(TARGET)),
                new Figure("transport.download.window_8mib", "model download, fixed 8 MiB window (tried)",
                        Medians.median(defaultDown) / 1e6, "MB/s", Medians.median(rawDown) / 1e6, raw, TARGET, true,
                        before),
                new Figure("transport.upload.window_8mib", "delta upload, fixed 8 MiB window (tried)",
                        Medians.median(defaultUp) / 1e6, "MB/s", Medians.median(rawUp) / 1e6, raw, TARGET, true,
                        before));
    }

    /** gRPC at least 0.8× the raw TLS socket, each way. */
    static final double TARGET = 0.8;

    private static void deleteTree(Path dir) throws IOException {
        if (java.nio.file.Files.exists(dir)) {
            try (var walk = java.nio.file.Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }

    /** A coordinator-like gRPC server and a site's channel, built as the production ones are. */
    private static final class GrpcPair implements AutoCloseable {
        private final Server server;
        private final ManagedChannel channel;
        private final int total;

        /** @param window the HTTP/2 flow-control window on both ends; 0 keeps grpc-java's default */
        GrpcPair(PartyCredentials coordinator, PartyCredentials site, byte[] model, int window) throws IOException {
            this.total = model.length;
            FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
                @Override
                public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> response) {
                    // as FederationService.downloadModel: a header, then the bytes in Wire.sharedChunks, sent as
                    // the client reads them (FlowControlledSender)
                    ModelChunk header = ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                            .setModelVersion(request.getModelVersion()).setTotalBytes(model.length)).build();
                    FlowControlledSender.start(response, java.util.stream.Stream.concat(
                            java.util.stream.Stream.of(header), Wire.sharedChunks(model).stream()
                                    .map(c -> ModelChunk.newBuilder().setData(c).build())).iterator());
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
            };
            NettyServerBuilder serverBuilder = NettyServerBuilder.forAddress(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            MutualTls.serverCredentials(coordinator))
                    .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                    .addService(service);
            if (window > 0) {
                serverBuilder.flowControlWindow(window);
            }
            this.server = serverBuilder.build().start();
            NettyChannelBuilder channelBuilder = NettyChannelBuilder.forAddress("localhost", server.getPort(),
                            MutualTls.channelCredentials(site.cert(), site.key(), site.ca()))
                    .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024);
            if (window > 0) {
                channelBuilder.flowControlWindow(window);
            }
            this.channel = channelBuilder.build();
        }

        /** Bytes per second of one download, as the site reads it (CoordinatorClient's blocking iterator). */
        double download() {
            long t0 = System.nanoTime();
            long got = 0;
            Iterator<ModelChunk> it = FederationGrpc.newBlockingStub(channel)
                    .downloadModel(DownloadModelRequest.newBuilder().setModelVersion(1).build());
            while (it.hasNext()) {
                got += it.next().getData().size();
            }
            check(got);
            return got / ((System.nanoTime() - t0) / 1e9);
        }

        /** Bytes per second of one upload, sent as CoordinatorClient does: 1 MiB chunks, honouring isReady. */
        double upload() throws Exception {
            List<ByteString> chunks = new ArrayList<>();
            byte[] delta = new byte[total];
            long t0 = System.nanoTime();
            // chunking the delta is part of every real upload (CoordinatorClient), so it is timed
            chunks.addAll(Wire.sharedChunks(delta));
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
            requests.onNext(UpdateChunk.newBuilder().setHeader(UpdateHeader.newBuilder().setTotalBytes(total)).build());
            long offset = 0;
            for (ByteString chunk : chunks) {
                while (!requests.isReady()) {
                    ready.tryAcquire(100, TimeUnit.MILLISECONDS);
                }
                requests.onNext(UpdateChunk.newBuilder().setOffset(offset).setData(chunk).build());
                offset += chunk.size();
            }
            requests.onCompleted();
            UploadReceipt receipt = done.get(5, TimeUnit.MINUTES);
            if (receipt.getUpdatesReceived() != total >> 20) {
                throw new IllegalStateException("server counted " + receipt.getUpdatesReceived() + " MiB");
            }
            return total / ((System.nanoTime() - t0) / 1e9);
        }

        private void check(long got) {
            if (got != total) {
                throw new IllegalStateException("moved " + got + " of " + total + " bytes");
            }
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** One mutual TLS 1.3 connection between plain JDK sockets, kept open like the gRPC channel. */
    private static final class RawTlsPair implements AutoCloseable {
        private final SSLServerSocket listener;
        private final SSLSocket client;
        private final SSLSocket served;

        RawTlsPair(PartyCredentials coordinator, PartyCredentials site) throws Exception {
            SSLContext serverContext = context(coordinator);
            listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                    .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
            listener.setNeedClientAuth(true);
            listener.setEnabledProtocols(new String[] {"TLSv1.3"});
            CompletableFuture<SSLSocket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    SSLSocket s = (SSLSocket) listener.accept();
                    s.startHandshake();
                    return s;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            client = (SSLSocket) context(site).getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    listener.getLocalPort());
            client.setEnabledProtocols(new String[] {"TLSv1.3"});
            client.startHandshake();
            served = accepted.get(30, TimeUnit.SECONDS);
        }

        private static SSLContext context(PartyCredentials party) throws Exception {
            char[] password = "bench".toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, password);
            List<X509Certificate> chain = PemFiles.readCertificates(party.cert());
            keys.setKeyEntry("me", PemFiles.readPrivateKey(party.key()), password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, password);
            trust.setCertificateEntry("ca", PemFiles.readCertificate(party.ca()));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        }

        /**
         * Bytes per second of moving {@code bytes} in 1 MiB writes, server to client (download) or client to
         * server (upload), timed until the receiver has read them all and acknowledged.
         */
        double transfer(byte[] bytes, boolean upload) throws Exception {
            SSLSocket sender = upload ? client : served;
            SSLSocket receiver = upload ? served : client;
            long t0 = System.nanoTime();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    DataOutputStream out = new DataOutputStream(sender.getOutputStream());
                    out.writeLong(bytes.length);
                    for (int off = 0; off < bytes.length; off += Wire.MAX_CHUNK_BYTES) {
                        out.write(bytes, off, Math.min(Wire.MAX_CHUNK_BYTES, bytes.length - off));
                    }
                    out.flush();
                    if (sender.getInputStream().read() != 1) {
                        throw new IOException("no acknowledgement");
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            DataInputStream in = new DataInputStream(receiver.getInputStream());
            long length = in.readLong();
            byte[] buffer = new byte[Wire.MAX_CHUNK_BYTES];
            long got = 0;
            InputStream raw = in;
            while (got < length) {
                int n = raw.read(buffer, 0, (int) Math.min(buffer.length, length - got));
                if (n < 0) {
                    throw new IOException("stream ended after " + got + " bytes");
                }
                got += n;
            }
            receiver.getOutputStream().write(1);
            receiver.getOutputStream().flush();
            sent.get(5, TimeUnit.MINUTES);
            return length / ((System.nanoTime() - t0) / 1e9);
        }

        @Override
        public void close() throws IOException {
            client.close();
            served.close();
            listener.close();
        }
    }
}
