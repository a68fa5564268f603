package org.fedmil.site.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.proto.v1.UploadStatusReply;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.site.outbound.UpdateHeaders;
import org.fedmil.site.outbound.WireBytes;
import org.fedmil.tensor.DeltaEncoding;
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
 * A float32 delta uploaded over real mutual TLS with its bytes encoded chunk by chunk as the stream takes them: what
 * arrives, from the start or resumed mid-value, is exactly the delta's wire form whose hash the header carries.
 */
class StreamedUploadTest {

    @TempDir
    Path tmp;

    private final TensorSet delta = delta();
    private final byte[] wire = TensorCodec.encode(delta);
    private final List<UpdateChunk> received = new ArrayList<>();
    private final List<UpdateHeader> headers = new ArrayList<>();
    private PartyCredentials site;
    private PartyCredentials coordinator;
    private Server server;
    private CoordinatorClient client;
    private volatile long acknowledged;

    private static TensorSet delta() {
        Random rng = new Random(5);
        float[] a = new float[1001];
        float[] b = new float[3];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextGaussian();
        }
        b[0] = -1.5f;
        return new TensorSet(List.of(new NamedTensor("a", new long[] {7, 143}, a),
                new NamedTensor("b", new long[] {3}, b)));
    }

    @BeforeEach
    void start() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void uploadStatus(UploadStatusRequest request, StreamObserver<UploadStatusReply> out) {
                out.onNext(UploadStatusReply.newBuilder().setAcknowledgedBytes(acknowledged).build());
                out.onCompleted();
            }

            @Override
            public StreamObserver<UpdateChunk> uploadUpdate(StreamObserver<UploadReceipt> out) {
                return new StreamObserver<>() {
                    @Override
                    public void onNext(UpdateChunk chunk) {
                        synchronized (received) {
                            if (chunk.hasHeader()) {
                                headers.add(chunk.getHeader());
                            } else {
                                received.add(chunk);
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onNext(UploadReceipt.newBuilder().setDeltaSha256(headers.get(0).getDeltaSha256()).build());
                        out.onCompleted();
                    }
                };
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator)).addService(service).build().start();
        client = new CoordinatorClient("localhost", server.getPort(), new TlsFiles(site.cert(), site.key(), site.ca()))
                .withChunkBytes(10);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private UpdateHeader header(WireBytes bytes) {
        return UpdateHeaders.plain(1, 0, new byte[32], delta.specs(), DeltaEncoding.FLOAT32, bytes, 2, 0.5,
                Optional.empty());
    }

    @Test
    void aFloat32DeltaEncodedChunkByChunkArrivesAsItsWireFormUnderItsHash() throws Exception {
        WireBytes bytes = WireBytes.float32(delta);

        client.resumableUpload(header(bytes), bytes, Duration.ZERO);

        assertThat(headers.get(0).getDeltaSha256().toByteArray()).isEqualTo(Sha256.of(wire));
        assertThat(headers.get(0).getTotalBytes()).isEqualTo(wire.length);
        assertThat(received).allSatisfy(c -> assertThat(c.getData().size()).isLessThanOrEqualTo(10));
        assertThat(concatenated(0)).isEqualTo(wire);
    }

    @Test
    void aResumedUploadStartsMidValueWhereTheCoordinatorStoppedAndSendsTheRestExactly() throws Exception {
        acknowledged = 4003;
        WireBytes bytes = WireBytes.float32(delta);

        client.resumableUpload(header(bytes), bytes, Duration.ZERO);

        assertThat(received.get(0).getOffset()).isEqualTo(4003);
        assertThat(concatenated(4003)).isEqualTo(Arrays.copyOfRange(wire, 4003, wire.length));
    }

    private byte[] concatenated(long from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long at = from;
        for (UpdateChunk c : received) {
            assertThat(c.getOffset()).isEqualTo(at);
            out.writeBytes(c.getData().toByteArray());
            at += c.getData().size();
        }
        return out.toByteArray();
    }
}
