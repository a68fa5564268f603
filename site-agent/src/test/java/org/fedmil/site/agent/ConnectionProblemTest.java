package org.fedmil.site.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.tls.MutualTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way a site's connection to the coordinator fails, over real mutual TLS on loopback (the coordinator's own
 * server credentials), is told as its own cause with its own advice, not as one "unreachable" sentence.
 */
class ConnectionProblemTest {

    @TempDir
    Path dir;

    private ConsortiumCa consortium;
    private ConsortiumCa foreign;
    private final List<Server> servers = new ArrayList<>();

    @BeforeEach
    void pki() throws Exception {
        consortium = ConsortiumCa.init(dir.resolve("consortium"), "consortium", Duration.ofDays(2));
        foreign = ConsortiumCa.init(dir.resolve("foreign"), "foreign", Duration.ofDays(2));
    }

    @AfterEach
    void stop() {
        servers.forEach(Server::shutdownNow);
    }

    /** A Federation server answering Join, with {@code server}'s certificate, trusting only the consortium CA. */
    private int coordinator(PartyCredentials server) throws Exception {
        return coordinator(server, caPem(consortium));
    }

    private int coordinator(PartyCredentials server, Path trusted) throws Exception {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(server.cert(), server.key(), trusted))
                .addService(new FederationGrpc.FederationImplBase() {
                    @Override
                    public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
                        response.onNext(JoinResponse.newBuilder().setSiteId("x").build());
                        response.onCompleted();
                    }
                }).build().start();
        servers.add(s);
        return s.getPort();
    }

    private Path caPem(ConsortiumCa ca) throws Exception {
        Path pem = dir.resolve(ca.certificate().getSerialNumber().toString(16) + "-ca.pem");
        Files.writeString(pem, org.fedmil.pki.PemFiles.encodeCertificate(ca.certificate()));
        return pem;
    }

    private Path bothCas() throws Exception {
        Path both = dir.resolve("both-ca.pem");
        Files.writeString(both, Files.readString(caPem(consortium)) + Files.readString(caPem(foreign)));
        return both;
    }

    private static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }

    private static ConnectionProblem problem(TlsFiles tls, int port) throws Exception {
        try (CoordinatorClient client = new CoordinatorClient("localhost", port, tls)) {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> client.join(JoinRequest.getDefaultInstance()));
            assertThat(e).as("the call must fail").isNotNull();
            ConnectionProblem p = ConnectionProblem.of(e, "localhost", port, tls, CoordinatorClient.HANDSHAKE_SECONDS);
            StringWriter chain = new StringWriter();
            e.printStackTrace(new java.io.PrintWriter(chain));
            System.out.println(p + "\n" + chain.toString().lines().filter(l -> !l.startsWith("\tat")).toList());
            return p;
        }
    }

    @Test
    void aCoordinatorThatIsNotRunningIsConnectionRefused() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        ConnectionProblem p = problem(tls(consortium.issueSite("site-a", Duration.ofDays(1))), closed);

        assertThat(p.cause()).isEqualTo(ConnectionProblem.Cause.CONNECTION_REFUSED);
        assertThat(p.detail()).contains("nothing accepts connections at localhost:" + closed)
                .contains("the coordinator is not running or is restarting");
        assertThat(p.mayPass()).isTrue();
    }

    @Test
    void aCoordinatorCertificateOfAnotherCaIsNotTrusted() throws Exception {
        // a coordinator of another consortium that would take this site's certificate: only the site says no
        int port = coordinator(foreign.issueCoordinator(List.of("localhost"), Duration.ofDays(1)), bothCas());
        PartyCredentials site = consortium.issueSite("site-a", Duration.ofDays(1));

        ConnectionProblem p = problem(tls(site), port);

        assertThat(p.cause()).isEqualTo(ConnectionProblem.Cause.COORDINATOR_NOT_TRUSTED);
        assertThat(p.detail()).contains("is not from the consortium CA in " + site.ca())
                .contains("Compare the CA fingerprint");
        assertThat(p.mayPass()).isFalse();
    }

    @Test
    void aCoordinatorCertificateForAnotherHostIsAHostNameMismatch() throws Exception {
        int port = coordinator(consortium.issueCoordinator(List.of("fedmil.elsewhere.example"), Duration.ofDays(1)));

        ConnectionProblem p = problem(tls(consortium.issueSite("site-a", Duration.ofDays(1))), port);

        assertThat(p.cause()).isEqualTo(ConnectionProblem.Cause.HOSTNAME_MISMATCH);
        assertThat(p.detail()).contains("does not name 'localhost'").contains("coordinator.host");
    }

    @Test
    void aSiteCertificateOfAnotherCaIsRefusedByTheCoordinator() throws Exception {
        int port = coordinator(consortium.issueCoordinator(List.of("localhost"), Duration.ofDays(1)));
        PartyCredentials stranger = foreign.issueSite("site-x", Duration.ofDays(1));
        // this site trusts both CAs, so that only the coordinator's refusal of its certificate is left
        ConnectionProblem p = problem(new TlsFiles(stranger.cert(), stranger.key(), bothCas()), port);

        assertThat(p.cause()).isEqualTo(ConnectionProblem.Cause.CERTIFICATE_REFUSED);
        assertThat(p.detail()).contains("refused this site's certificate " + stranger.cert())
                .contains("contact the consortium operator");
    }

    @Test
    void aPortThatAcceptsButNeverAnswersTheHandshakeIsAHandshakeTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            ConnectionProblem p = problem(tls(consortium.issueSite("site-a", Duration.ofDays(1))),
                    silent.getLocalPort());

            assertThat(p.cause()).isEqualTo(ConnectionProblem.Cause.HANDSHAKE_TIMED_OUT);
            assertThat(p.detail()).contains("did not finish within " + CoordinatorClient.HANDSHAKE_SECONDS + " s")
                    .contains("not the coordinator");
        }
    }
}
