package org.fedmil.site.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.MutualTls;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model download over real mutual TLS from a coordinator that sends the model slowly: it may take longer than
 * the idle limit in all, as long as bytes keep arriving, and a stream that stalls is given up as a deadline.
 */
class ModelDownloadIdleLimitTest {

    private static final Duration IDLE_LIMIT = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    private final TensorSet model = new TensorSet(List.of(new NamedTensor("w", new long[] {8},
            new float[] {1, 2, 3, 4, 5, 6, 7, 8})));
    private final byte[] bytes = TensorCodec.encode(model);
    private final byte[] sha = Sha256.of(bytes);
    private PartyCredentials site;
    private PartyCredentials serverCredentials;
    private Server server;
    private CoordinatorClient client;

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
        serverCredentials = coordinator;
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSlowDownloadLongerThanTheIdleLimitCompletesWhileBytesKeepComing() throws Exception {
        // 8 chunks of 4 bytes, 1 s apart: 8 s in all, never 5 s without a byte. The margins are wide because a
        // loaded build machine can hold a TLS handshake or a sleeping thread for well over a second.
        start(Duration.ofSeconds(1), bytes.length);

        long began = System.nanoTime();
        CoordinatorClient.DownloadedModel got = client.downloadModel(1, sha);

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThan(IDLE_LIMIT);
        assertThat(got.weights().get("w").values()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void aDownloadThatStallsIsGivenUpAsADeadlineNamingTheModel() throws Exception {
        // the header and half the bytes, then nothing
        start(Duration.ZERO, bytes.length / 2);

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> client.downloadModel(1, sha));

        assertThat(e).as("the download must fail").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(e.getStatus().getDescription()).contains("no bytes of global model v1 arrived for 5 s");
    }

    /** A coordinator whose download sends the header, then {@code sent} bytes 4 at a time, {@code gap} apart. */
    private void start(Duration gap, int sent) throws Exception {
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> out) {
                out.onNext(ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder().setModelVersion(1)
                        .addAllTensors(Wire.toProto(model.specs())).setTotalBytes(bytes.length)
                        .setSha256(ByteString.copyFrom(sha))).build());
                try {
                    for (int at = 0; at < sent; at += 4) {
                        Thread.sleep(gap.toMillis());
                        out.onNext(ModelChunk.newBuilder().setData(ByteString.copyFrom(
                                Arrays.copyOfRange(bytes, at, Math.min(at + 4, sent)))).build());
                    }
                    if (sent == bytes.length) {
                        out.onCompleted();
                    }
                    // else: stall, holding the stream open, until the client gives up
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(serverCredentials))
                .addService(service)
                .build()
                .start();
        client = new CoordinatorClient("localhost", server.getPort(),
                new TlsFiles(site.cert(), site.key(), site.ca())).withDownloadIdleLimit(IDLE_LIMIT);
    }
}
