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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.tls.MutualTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload over real mutual TLS to a coordinator that takes the bytes slowly: HTTP/2 flow control holds the site
 * back to the coordinator's pace, the upload may take longer than the idle limit in all as long as the coordinator
 * keeps taking chunks, and a coordinator that stops taking them is given up as a deadline.
 */
class UploadIdleLimitTest {

    private static final Duration IDLE_LIMIT = Duration.ofSeconds(5);
    /** Chunks and the coordinator's window of one chunk's size: the site can be at most a few chunks ahead. */
    private static final int CHUNK = 64 << 10;
    private static final int CHUNKS = 10;

    @TempDir
    Path tmp;

    private PartyCredentials site;
    private PartyCredentials coordinator;
    private Server server;
    private CoordinatorClient client;
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicLong received = new AtomicLong();

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
    }

    @AfterEach
    void stop() throws Exception {
        released.countDown();
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSlowUploadLongerThanTheIdleLimitCompletesWhileTheCoordinatorKeepsTakingChunks() throws Exception {
        // one 64 KiB chunk taken per second: about 10 s in all, never 5 s without the coordinator taking one. The
        // margins are wide because a loaded build machine can hold a sleeping thread for well over a second.
        start(Duration.ofSeconds(1), CHUNKS);

        long began = System.nanoTime();
        UploadReceipt receipt = client.uploadRaw(header(), chunks());

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThan(IDLE_LIMIT);
        assertThat(receipt.getUpdatesReceived()).isEqualTo(1);
        assertThat(received.get()).isEqualTo((long) CHUNK * CHUNKS);
    }

    @Test
    void anUploadTheCoordinatorStopsTakingIsGivenUpAsADeadlineNamingTheRound() throws Exception {
        // two chunks taken, then the coordinator's handler holds the stream without reading on
        start(Duration.ZERO, 2);

        long began = System.nanoTime();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> client.uploadRaw(header(), chunks()));

        assertThat(e).as("the upload must fail").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(e.getStatus().getDescription()).contains("took no bytes of the round 3 upload")
                .contains("for 5 s");
        assertThat(received.get()).as("the site was held back by flow control").isLessThan((long) CHUNK * CHUNKS);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(IDLE_LIMIT);
    }

    private static UpdateHeader header() {
        return UpdateHeader.newBuilder().setRound(3).setTotalBytes((long) CHUNK * CHUNKS).build();
    }

    private static List<ByteString> chunks() {
        List<ByteString> out = new ArrayList<>();
        for (int i = 0; i < CHUNKS; i++) {
            out.add(ByteString.copyFrom(new byte[CHUNK]));
        }
        return out;
    }

    /**
     * A coordinator whose upload handler takes the header, then {@code taken} data chunks {@code gap} apart (the
     * handler's pace is the stream's: grpc reads on only when it returns), then waits until the test ends.
     */
    private void start(Duration gap, int taken) throws Exception {
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public StreamObserver<UpdateChunk> uploadUpdate(StreamObserver<UploadReceipt> out) {
                return new StreamObserver<>() {
                    private int chunks;

                    @Override
                    public void onNext(UpdateChunk chunk) {
                        if (chunk.hasHeader()) {
                            return;
                        }
                        try {
                            if (chunks++ >= taken) {
                                released.await();
                                return;
                            }
                            Thread.sleep(gap.toMillis());
                            received.addAndGet(chunk.getData().size());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        out.onNext(UploadReceipt.newBuilder().setUpdatesReceived(1).build());
                        out.onCompleted();
                    }
                };
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator))
                // a fixed window of one chunk: the site can run only that far ahead of the handler
                .flowControlWindow(CHUNK)
                .addService(service)
                .build()
                .start();
        client = new CoordinatorClient("localhost", server.getPort(),
                new TlsFiles(site.cert(), site.key(), site.ca())).withUploadIdleLimit(IDLE_LIMIT)
                .withChunkBytes(CHUNK);
    }
}
