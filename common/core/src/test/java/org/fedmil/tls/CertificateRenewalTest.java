package org.fedmil.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PartyKind;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renewing certificates on disk while a coordinator and a site run: the next new connection presents the new
 * certificates in both directions, without rebuilding either side's credentials (as a running process would not).
 */
class CertificateRenewalTest {

    private static final JoinRequest JOIN = JoinRequest.newBuilder().setSoftwareVersion("test").build();

    @TempDir
    Path tmp;

    private final List<BigInteger> siteSerialsSeenByCoordinator = new CopyOnWriteArrayList<>();
    private final List<BigInteger> coordinatorSerialsSeenBySite = new CopyOnWriteArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private Server server;

    @AfterEach
    void shutDown() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void renewedCertificatesArePresentedOnTheNextConnectionWithoutARestart() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        PartyCredentials site = ca.issueSite("hospital-a", Duration.ofDays(30));
        BigInteger coordinatorBefore = serial(coordinator);
        BigInteger siteBefore = serial(site);
        byte[] siteKeyBefore = Files.readAllBytes(site.key());

        // built once, as the coordinator and the agent build them at start
        int port = start(MutualTls.serverCredentials(coordinator.cert(), coordinator.key(), coordinator.ca(),
                chain -> { }));
        ChannelCredentials siteTls = MutualTls.channelCredentials(site.cert(), site.key(), site.ca(),
                chain -> coordinatorSerialsSeenBySite.add(chain[0].getSerialNumber()));
        ManagedChannel first = channel(port, siteTls);
        join(first);
        assertThat(siteSerialsSeenByCoordinator).containsExactly(siteBefore);
        assertThat(coordinatorSerialsSeenBySite).containsExactly(coordinatorBefore);

        X509Certificate coordinatorRenewed = ca.renew(PartyKind.COORDINATOR, "", Duration.ofDays(300));
        X509Certificate siteRenewed = ca.renew(PartyKind.SITE, "hospital-a", Duration.ofDays(300));
        assertThat(serial(coordinator)).isEqualTo(coordinatorRenewed.getSerialNumber()).isNotEqualTo(coordinatorBefore);
        assertThat(serial(site)).isEqualTo(siteRenewed.getSerialNumber()).isNotEqualTo(siteBefore);
        assertThat(Files.readAllBytes(site.key())).as("renewal keeps the key").isEqualTo(siteKeyBefore);

        // the open connection keeps what it was opened with
        join(first);
        assertThat(siteSerialsSeenByCoordinator).last().isEqualTo(siteBefore);

        // a new connection of the same running processes presents the renewed certificates, both ways
        join(channel(port, siteTls));
        assertThat(siteSerialsSeenByCoordinator).last().isEqualTo(siteRenewed.getSerialNumber());
        assertThat(coordinatorSerialsSeenBySite).last().isEqualTo(coordinatorRenewed.getSerialNumber());
    }

    @Test
    void aTornOrForeignCertificateOnDiskIsNotUsedAndThePreviousOneStays() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        PartyCredentials site = ca.issueSite("hospital-a", Duration.ofDays(30));
        BigInteger coordinatorBefore = serial(coordinator);
        int port = start(MutualTls.serverCredentials(coordinator.cert(), coordinator.key(), coordinator.ca(),
                chain -> { }));
        ChannelCredentials siteTls = MutualTls.channelCredentials(site.cert(), site.key(), site.ca(),
                chain -> coordinatorSerialsSeenBySite.add(chain[0].getSerialNumber()));

        // a copy caught half-way (cp instead of a rename)
        byte[] pem = Files.readAllBytes(coordinator.cert());
        Files.write(coordinator.cert(), java.util.Arrays.copyOf(pem, pem.length / 2));
        join(channel(port, siteTls));
        assertThat(coordinatorSerialsSeenBySite).containsExactly(coordinatorBefore);

        // the whole file arrives: used from the next connection on
        X509Certificate renewed;
        Files.write(coordinator.cert(), pem);
        renewed = ca.renew(PartyKind.COORDINATOR, "", Duration.ofDays(300));
        join(channel(port, siteTls));
        assertThat(coordinatorSerialsSeenBySite).last().isEqualTo(renewed.getSerialNumber());
    }

    private static BigInteger serial(PartyCredentials party) {
        return PemFiles.readCertificate(party.cert()).getSerialNumber();
    }

    private int start(ServerCredentials credentials) throws Exception {
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void join(JoinRequest request, StreamObserver<JoinResponse> responses) {
                PeerIdentity peer = PeerIdentity.current();
                siteSerialsSeenByCoordinator.add(peer.certificate().getSerialNumber());
                responses.onNext(JoinResponse.newBuilder().setSiteId(peer.commonName()).build());
                responses.onCompleted();
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .addService(ServerInterceptors.intercept(service, PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE)))
                .build()
                .start();
        return server.getPort();
    }

    private ManagedChannel channel(int port, ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, credentials).build();
        channels.add(channel);
        return channel;
    }

    private static void join(ManagedChannel channel) {
        FederationGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).join(JOIN);
    }
}
