package org.fedmil.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    private final List<Socket> relayed = new CopyOnWriteArrayList<>();
    private ServerSocket relay;

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
        for (Socket s : relayed) {
            s.close();
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
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void join(JoinRequest request, StreamObserver<JoinResponse> responses) {
                responses.onNext(JoinResponse.newBuilder().setSiteId(PeerIdentity.current().commonName()).build());
                responses.onCompleted();
            }
        };
        server = ServerHandshakeDeadline.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator)), handshakeLimit)
                .addService(ServerInterceptors.intercept(service, PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE)))
                .build()
                .start();
    }

    /** A TCP relay that connects to the coordinator at once and passes the client's bytes on after {@code delay}. */
    private int relayDelayingFirstBytes(Duration delay) throws IOException {
        relay = new ServerSocket(0);
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket client = relay.accept();
                    relayed.add(client);
                    Socket upstream = new Socket("127.0.0.1", server.getPort());
                    relayed.add(upstream);
                    pipe(upstream.getInputStream(), client.getOutputStream(), Duration.ZERO);
                    pipe(client.getInputStream(), upstream.getOutputStream(), delay);
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return relay.getLocalPort();
    }

    private static void pipe(InputStream in, OutputStream out, Duration delay) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(delay.toMillis());
                in.transferTo(out);
            } catch (IOException | InterruptedException closed) {
                // one side closed
            } finally {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }
}
