package org.fedmil.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's TLS handshake deadline, against a coordinator reached through a relay that holds each new
 * connection for a while before passing any byte on (a coordinator on a loaded host, a slow middlebox).
 */
class ClientHandshakeDeadlineTest {

    @TempDir
    Path tmp;

    private PartyCredentials site;
    private Server server;
    private ManagedChannel channel;
    private SlowLinkRelay relay;

    @BeforeEach
    void startCoordinator() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator))
                .addService(SlowLinkRelay.joinEchoingTheCaller())
                .build()
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (relay != null) {
            relay.close();
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aHandshakeSlowerThanNettysOwnTenSecondsCompletesWithinALongerDeadline() throws Exception {
        int port = relayHolding(Duration.ofSeconds(12));
        channel = ClientHandshakeDeadline.channelBuilder("localhost", port, MutualTls.channelCredentials(site),
                Duration.ofSeconds(30)).build();

        JoinResponse joined = FederationGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .join(JoinRequest.getDefaultInstance());

        // the identity still comes from the handshake: gRPC's own TLS checks ran
        assertThat(joined.getSiteId()).isEqualTo("hospital-a");
    }

    @Test
    void aShorterDeadlineGivesTheHandshakeUpAsAHandshakeTimeout() throws Exception {
        int port = relayHolding(Duration.ofSeconds(8));
        channel = ClientHandshakeDeadline.channelBuilder("localhost", port, MutualTls.channelCredentials(site),
                Duration.ofSeconds(1)).build();

        long start = System.nanoTime();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
                FederationGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .join(JoinRequest.getDefaultInstance()));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(e).as("the call must fail").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        List<Throwable> chain = new java.util.ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.add(t);
        }
        assertThat(chain).as("cause chain").anySatisfy(t -> {
            assertThat(t).isInstanceOf(SslHandshakeTimeoutException.class);
            assertThat(t.getMessage()).contains("1000ms");
        });
        // well before the relay lets anything through, and before Netty's own 10 s
        assertThat(took).isLessThan(Duration.ofSeconds(7));
    }

    @Test
    void anOrdinaryHandshakeIsUnchanged() throws Exception {
        channel = ClientHandshakeDeadline.channelBuilder("localhost", server.getPort(),
                MutualTls.channelCredentials(site), Duration.ofSeconds(5)).build();

        JoinResponse joined = FederationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .join(JoinRequest.getDefaultInstance());

        assertThat(joined.getSiteId()).isEqualTo("hospital-a");
    }

    private int relayHolding(Duration hold) throws IOException {
        relay = SlowLinkRelay.holdingNewConnections(server.getPort(), hold);
        return relay.port();
    }
}
