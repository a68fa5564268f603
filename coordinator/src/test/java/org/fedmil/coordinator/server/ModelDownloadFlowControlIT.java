package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.MutualTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's model download honours HTTP/2 flow control: over real mutual-TLS gRPC on loopback, a site that
 * reads slowly (or stops) is sent only what its window takes, not the whole model at once.
 */
class ModelDownloadFlowControlIT {

    private static final int MODEL_MIB = 32;
    /** Chunks of the coordinator's download size per MiB of model. */
    private static final int CHUNKS_PER_MIB = (1 << 20) / ServerBuffers.DOWNLOAD_CHUNK_BYTES;
    /** Header + one message per download chunk. */
    private static final int MESSAGES = 1 + MODEL_MIB * CHUNKS_PER_MIB;
    /**
     * What may be in flight beyond what the client has read: the client's HTTP/2 window (1 MiB, grown by grpc-java's
     * BDP probing to at most 8 MiB) in download chunks, plus the one chunk the server hands over before isReady turns
     * false, with room to spare (12 MiB). Sending everything at once is the whole model.
     */
    private static final int MAX_AHEAD = 12 * CHUNKS_PER_MIB;

    @TempDir
    Path dir;

    private FederationRun run;
    private FederationService service;
    private Server server;
    private ManagedChannel channel;
    private GlobalModel model;
    private final AtomicInteger sent = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(400));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(30));
        PartyCredentials site = ca.issueSite("site-a", Duration.ofDays(30));
        float[] w = new float[MODEL_MIB << 18];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 1e-3f;
        }
        model = GlobalModel.of(0, new ModelSpec(Architecture.ATTENTION, 2, 2, 2),
                new TensorSet(List.of(new NamedTensor("w", new long[] {w.length}, w))));
        run = new FederationRun(new FederationPlan("flow", 1, 1, model.spec(),
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true,
                new RoundRules(1, 3_600_000, RoundRules.ShortRound.SKIP, 10.0)), model,
                weights -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(),
                new RoundListener() {
                });
        run.start();
        // only a joined site may download the model
        run.join("site-a", new org.fedmil.coordinator.round.SiteJoin("test", "cpu()", java.util.Map.of(0, 1L, 1, 1L)));
        RoundLog log = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(coordinator.key()),
                PemFiles.readCertificate(coordinator.cert()));
        service = new FederationService(run, new CoordinatorConfig.Limits(null, null, null), dir.resolve("uploads"),
                new AuditTrail(log));
        // counts the messages the service hands to gRPC (an observer, as CoordinatorServer takes them)
        ServerInterceptor counting = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendMessage(R message) {
                        sent.incrementAndGet();
                        super.sendMessage(message);
                    }
                }, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        MutualTls.serverCredentials(coordinator))
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .addService(ServerInterceptors.intercept(service, counting,
                        org.fedmil.tls.PeerIdentityInterceptor.requiring(org.fedmil.tls.PeerIdentity.Role.SITE)))
                .build().start();
        channel = NettyChannelBuilder.forAddress("localhost", server.getPort(), MutualTls.channelCredentials(site))
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (service != null) {
            service.close();
        }
        if (run != null) {
            run.close();
        }
    }

    /** A download whose client asks gRPC for one message at a time, when the test says so. */
    private final class SlowReader implements ClientResponseObserver<DownloadModelRequest, ModelChunk> {
        final BlockingQueue<ModelChunk> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        volatile ClientCallStreamObserver<DownloadModelRequest> call;

        SlowReader start() {
            FederationGrpc.newStub(channel).downloadModel(DownloadModelRequest.newBuilder().setModelVersion(0).build(),
                    this);
            return this;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<DownloadModelRequest> requests) {
            call = requests;
            requests.disableAutoRequestWithInitial(1);
        }

        ModelChunk next() throws InterruptedException {
            ModelChunk c = received.poll(30, TimeUnit.SECONDS);
            assertThat(c).as("a message within 30 s").isNotNull();
            return c;
        }

        @Override
        public void onNext(ModelChunk value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    /** Waits until the server has stopped handing messages to gRPC (no change for 600 ms; at most 20 s). */
    private int sentOnceSettled() {
        AtomicInteger last = new AtomicInteger(-1);
        AtomicInteger stable = new AtomicInteger();
        await("the server stops handing messages to gRPC").atMost(Duration.ofSeconds(20))
                .pollDelay(Duration.ofMillis(200)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    int now = sent.get();
                    stable.set(last.getAndSet(now) == now ? stable.get() + 1 : 0);
                    return stable.get() >= 3;
                });
        return last.get();
    }

    @Test
    void aSiteThatStopsReadingIsSentOnlyWhatItsFlowControlWindowTakesAndThenTheRestWhenItReadsOn() throws Exception {
        SlowReader reader = new SlowReader().start();
        assertThat(reader.next().hasHeader()).isTrue();
        reader.call.request(2);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        for (int i = 0; i < 2; i++) {
            ModelChunk c = reader.next();
            sha.update(c.getData().asReadOnlyByteBuffer());
            bytes += c.getData().size();
        }

        // the site has read 3 messages and stalls: the server must not have handed gRPC the whole model
        int sentWhileStalled = sentOnceSettled();
        assertThat(sentWhileStalled).as("messages sent to a site that read 3 of %d", MESSAGES)
                .isGreaterThan(3).isLessThanOrEqualTo(3 + MAX_AHEAD);

        // when it reads on, the rest follows, on gRPC's on-ready callbacks (no thread waits for it meanwhile)
        reader.call.request(Integer.MAX_VALUE);
        for (int i = 3; i < MESSAGES; i++) {
            ModelChunk c = reader.next();
            sha.update(c.getData().asReadOnlyByteBuffer());
            bytes += c.getData().size();
        }
        assertThat(reader.closed.get(30, TimeUnit.SECONDS).isOk()).isTrue();
        assertThat(bytes).isEqualTo(model.bytes().length);
        assertThat(sha.digest()).as("the downloaded bytes are the model's").isEqualTo(model.sha256());
        assertThat(sent.get()).isEqualTo(MESSAGES);
    }

    @Test
    void aDownloadTheSiteCancelsStopsSendingAtOnce() throws Exception {
        SlowReader reader = new SlowReader().start();
        assertThat(reader.next().hasHeader()).isTrue();
        int before = sentOnceSettled();
        reader.call.cancel("the site gave up", null);
        assertThat(reader.closed.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);

        int after = sentOnceSettled();
        assertThat(after).as("messages sent after the cancel (before it: %d)", before).isLessThanOrEqualTo(before + 1);
        assertThat(after).isLessThan(MESSAGES);
    }
}
