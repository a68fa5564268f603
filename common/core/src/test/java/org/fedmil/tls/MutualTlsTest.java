package org.fedmil.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.pki.PkiException;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS handshakes between a real gRPC server and client on loopback. */
class MutualTlsTest {

    private static final Duration VALIDITY = Duration.ofDays(90);
    private static final JoinRequest JOIN = JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()").build();

    @TempDir
    Path tmp;

    private ConsortiumCa ca;
    private PartyCredentials coordinator;
    private PartyCredentials site;
    private PartyCredentials admin;
    private ConsortiumCa otherCa;

    /** Identities the Federation service saw; empty means nothing reached it. */
    private final List<PeerIdentity> served = new CopyOnWriteArrayList<>();
    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void issueCredentials() throws Exception {
        ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), VALIDITY);
        site = ca.issueSite("hospital-a", VALIDITY);
        admin = ca.issueAdmin("alice", VALIDITY);
        // Same names, another CA: a stranger who knows the consortium's naming.
        otherCa = ConsortiumCa.init(tmp.resolve("other-pki"), "Test", Duration.ofDays(365));
    }

    @AfterEach
    void shutDown() throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (Server server : servers) {
            server.shutdownNow();
        }
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        for (Server server : servers) {
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void siteWithConsortiumCertificateIsSeenByItsCommonName() throws Exception {
        int port = startFederation(MutualTls.serverCredentials(coordinator));

        JoinResponse response = join(port, MutualTls.channelCredentials(site));

        assertThat(response.getSiteId()).isEqualTo("hospital-a");
        assertThat(served).singleElement().satisfies(peer -> {
            assertThat(peer.role()).isEqualTo(PeerIdentity.Role.SITE);
            assertThat(peer.sha256Fingerprint())
                    .isEqualTo(Certificates.sha256Fingerprint(PemFiles.readCertificate(site.cert())));
        });
    }

    @Test
    void clientWithCertificateFromAnotherCaIsRefused() throws Exception {
        int port = startFederation(MutualTls.serverCredentials(coordinator));
        PartyCredentials stranger = otherCa.issueSite("hospital-a", VALIDITY);
        // Trusts the real CA, so only the server's check of the client certificate can fail.
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .keyManager(stranger.cert().toFile(), stranger.key().toFile())
                .trustManager(coordinator.ca().toFile())
                .build();

        assertThatThrownBy(() -> join(port, credentials))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(served).isEmpty();
    }

    @Test
    void clientWithoutCertificateIsRefused() throws Exception {
        int port = startFederation(MutualTls.serverCredentials(coordinator));
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .trustManager(coordinator.ca().toFile())
                .build();

        assertThatThrownBy(() -> join(port, credentials))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(served).isEmpty();
    }

    @Test
    void adminCertificateCallingSiteOnlyServiceIsPermissionDenied() throws Exception {
        int port = startFederation(MutualTls.serverCredentials(coordinator));

        assertThatThrownBy(() -> join(port, MutualTls.channelCredentials(admin)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription())
                            .contains("admin certificate 'alice'")
                            .contains("fedmil.v1.Federation/Join")
                            .contains("requires a site certificate");
                });
        assertThat(served).isEmpty();
    }

    @Test
    void clientTrustingAnotherCaRefusesTheCoordinator() throws Exception {
        int port = startFederation(MutualTls.serverCredentials(coordinator));
        // A valid site certificate, so only the client's check of the server certificate can fail.
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .keyManager(site.cert().toFile(), site.key().toFile())
                .trustManager(otherCa.layout().caCert().toFile())
                .build();

        assertThatThrownBy(() -> join(port, credentials))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(served).isEmpty();
    }

    @Test
    void clientRefusesCoordinatorCertificateThatDoesNotNameTheDialledHost() throws Exception {
        PartyCredentials elsewhere = otherCoordinator("fedmil.example.org");
        int port = startFederation(MutualTls.serverCredentials(elsewhere));

        // Dialled as 127.0.0.1, which the certificate does not name.
        assertThatThrownBy(() -> join(port, MutualTls.channelCredentials(site)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(served).isEmpty();
    }

    @Test
    void clientAcceptsCoordinatorByTheDnsNameInItsCertificate() throws Exception {
        PartyCredentials elsewhere = otherCoordinator("fedmil.example.org");
        int port = startFederation(MutualTls.serverCredentials(elsewhere));
        ManagedChannel channel = channel(Grpc.newChannelBuilderForAddress("127.0.0.1", port,
                MutualTls.channelCredentials(site)).overrideAuthority("fedmil.example.org:" + port).build());

        JoinResponse response = FederationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS).join(JOIN);

        assertThat(response.getSiteId()).isEqualTo("hospital-a");
    }

    @Test
    void callWithoutTlsIsUnauthenticated() throws Exception {
        int port = startFederation(InsecureServerCredentials.create());

        assertThatThrownBy(() -> join(port, InsecureChannelCredentials.create()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(served).isEmpty();
    }

    @Test
    void currentIdentityOutsideTheInterceptorIsUnauthenticated() {
        assertThatThrownBy(PeerIdentity::current)
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void missingKeyFileIsNamedWithTheCommandThatCreatesIt() throws Exception {
        Files.delete(site.key());

        assertThatThrownBy(() -> MutualTls.channelCredentials(site))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("missing private key file " + site.key())
                .hasMessageContaining("fedmil pki issue");
    }

    @Test
    void fileThatIsNotPemIsNamed() throws Exception {
        Files.write(coordinator.cert(), new byte[] {0x30, (byte) 0x82, 0x01, 0x00, 0x7f});

        assertThatThrownBy(() -> MutualTls.serverCredentials(coordinator))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(coordinator.cert().toString())
                .hasMessageContaining("PEM");
    }

    @Test
    void keyAndCertificateFromDifferentFoldersAreRefused() {
        assertThatThrownBy(() -> MutualTls.channelCredentials(site.cert(), admin.key(), site.ca()))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(admin.key() + " is not the private key of " + site.cert());
    }

    @Test
    void certificateOfAnotherCaIsRefusedAtStartup() throws Exception {
        PartyCredentials stranger = otherCa.issueSite("hospital-a", VALIDITY);

        assertThatThrownBy(() -> MutualTls.channelCredentials(stranger.cert(), stranger.key(), site.ca()))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(stranger.cert() + " was not issued by the consortium CA in " + site.ca());
    }

    @Test
    void siteCertificateCannotServeAsCoordinator() {
        assertThatThrownBy(() -> MutualTls.serverCredentials(site))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("is not meant for serving TLS")
                .hasMessageContaining("fedmil pki issue coordinator");
    }

    private PartyCredentials otherCoordinator(String host) throws Exception {
        // A second coordinator folder of the same CA, named only by DNS.
        ConsortiumCa sameCa = ConsortiumCa.load(tmp.resolve("pki"));
        Path moved = tmp.resolve("coordinator-localhost");
        Files.move(coordinator.dir(), moved);
        PartyCredentials issued = sameCa.issueCoordinator(List.of(host), VALIDITY);
        Path kept = tmp.resolve("coordinator-" + host);
        Files.move(issued.dir(), kept);
        Files.move(moved, coordinator.dir());
        return PartyCredentials.in(kept);
    }

    private int startFederation(ServerCredentials credentials) throws Exception {
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void join(JoinRequest request, StreamObserver<JoinResponse> responses) {
                PeerIdentity peer = PeerIdentity.current();
                served.add(peer);
                responses.onNext(JoinResponse.newBuilder().setSiteId(peer.commonName()).build());
                responses.onCompleted();
            }
        };
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .addService(ServerInterceptors.intercept(service, PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE)))
                .build()
                .start();
        servers.add(server);
        return server.getPort();
    }

    private JoinResponse join(int port, ChannelCredentials credentials) {
        ManagedChannel channel = channel(Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build());
        return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).join(JOIN);
    }

    private ManagedChannel channel(ManagedChannel channel) {
        channels.add(channel);
        return channel;
    }
}
