package org.fedmil.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
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
 * The coordinator's side of the TLS handshake limit, with sites reached through a relay that opens the connection
 * to the coordinator at once but passes the site's first bytes (its ClientHello) on only after a while: a site on a
 * loaded host or behind a slow link, as the coordinator sees it.
 */
class ServerHandshakeDeadlineTest {

    @TempDir
    Path tmp;

    private PartyCredentials site;
    private PartyCredentials coordinator;
    private Server server;
    private ManagedChannel channel;
    private SlowLinkRelay relay;

    @BeforeEach
    void credentials() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (relay != null) {
            relay.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClientHelloLaterThanNettysOwnTenSecondsIsServedUnderALongerLimit() throws Exception {
        startCoordinator(Duration.ofSeconds(30));
        int port = relayDelayingFirstBytes(Duration.ofSeconds(12));

        JoinResponse joined = join(port);

        // the identity still comes from the handshake: gRPC's own TLS checks ran
        assertThat(joined.getSiteId()).isEqualTo("hospital-a");
    }

    @Test
    void aShorterLimitDropsAConnectionWhoseClientHelloIsLate() throws Exception {
        startCoordinator(Duration.ofSeconds(2));
        int port = relayDelayingFirstBytes(Duration.ofSeconds(5));

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> join(port));

        assertThat(e).as("the call must fail").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void anOrdinaryHandshakeIsUnchanged() throws Exception {
        startCoordinator(Duration.ofSeconds(5));

        assertThat(join(server.getPort()).getSiteId()).isEqualTo("hospital-a");
    }

    private JoinResponse join(int port) {
        channel = ClientHandshakeDeadline.channelBuilder("localhost", port, MutualTls.channelCredentials(site),
                Duration.ofSeconds(60)).build();
        return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(90, TimeUnit.SECONDS)
                .join(JoinRequest.getDefaultInstance());
    }

    private void startCoordinator(Duration handshakeLimit) throws IOException {
        server = ServerHandshakeDeadline.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator)), handshakeLimit)
                .addService(SlowLinkRelay.joinEchoingTheCaller())
                .build()
                .start();
    }

    private int relayDelayingFirstBytes(Duration delay) throws IOException {
        relay = SlowLinkRelay.delayingFirstBytes(server.getPort(), delay);
        return relay.port();
    }
}
