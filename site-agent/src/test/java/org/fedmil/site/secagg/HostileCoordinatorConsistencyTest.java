package org.fedmil.site.secagg;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.SecAggAck;
import org.fedmil.proto.v1.SecAggSurvivorSignature;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.SecAggServer;
import org.fedmil.secagg.SurvivorSetSignature;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.audit.EgressRecorder;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.outbound.CompressionFilter;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tls.MutualTls;
import org.fedmil.tls.PeerIdentity;
import org.fedmil.tls.PeerIdentityInterceptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency round against a coordinator that lies about who survived, over real mutual TLS on loopback: four
 * real site agents' executors (their sessions, egress logs and coordinator clients) and a hostile coordinator double
 * whose steps up to the masked inputs are the real {@link SecAggServer}'s, and which then tells two pairs of sites
 * two different survivor sets, takes every signature without checking it, and forwards all of them with each unmask
 * task. Threshold 3 of 4, so the quorum is 3 and neither set has it.
 */
@Timeout(120)
class HostileCoordinatorConsistencyTest {

    private static final int LENGTH = 16;
    private static final int ROUND = 1;
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c", "site-d");

    @TempDir
    Path dir;

    private ConsortiumCa ca;
    private Server server;
    private final Map<String, Agent> agents = new TreeMap<>();
    /** What the coordinator double received: signatures by signer, and the sites that sent unmasking shares. */
    private final Map<String, SurvivorSetSignature> signatures = new ConcurrentHashMap<>();
    private final Map<String, SecAggUnmaskShares> unmasked = new ConcurrentHashMap<>();

    /** One site agent's parts that the consistency round and the unmask step use. */
    private record Agent(String site, byte[] certificate, SecAggSessions sessions, Membership membership,
                         CoordinatorClient client, Retrying retrying, EgressLog egress, ByteArrayOutputStream console) {

        PrintStream out() {
            return new PrintStream(console, true, StandardCharsets.UTF_8);
        }

        List<String> egressRecords(String type) throws java.io.IOException {
            return Files.readAllLines(egress.file()).stream()
                    .filter(l -> l.contains("\"type\":\"" + type + "\"")).toList();
        }
    }

    @BeforeEach
    void coordinatorAndSites() throws Exception {
        ca = ConsortiumCa.init(dir.resolve("pki"), "Test", Duration.ofDays(2));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        FederationGrpc.FederationImplBase hostile = new FederationGrpc.FederationImplBase() {
            @Override
            public void signSurvivors(SecAggSurvivorSignature request, StreamObserver<SecAggAck> out) {
                PeerIdentity peer = PeerIdentity.current();
                try {
                    signatures.put(peer.commonName(), SecAggWire.fromProto(peer.commonName(),
                            peer.certificate().getEncoded(), request));
                } catch (java.security.cert.CertificateEncodingException e) {
                    throw new IllegalStateException(e);
                }
                out.onNext(SecAggAck.getDefaultInstance());
                out.onCompleted();
            }

            @Override
            public void unmask(SecAggUnmaskShares request, StreamObserver<SecAggAck> out) {
                unmasked.put(PeerIdentity.current().commonName(), request);
                out.onNext(SecAggAck.getDefaultInstance());
                out.onCompleted();
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator))
                .addService(ServerInterceptors.intercept(hostile, PeerIdentityInterceptor.anyRole()))
                .build().start();
        for (String site : SITES) {
            PartyCredentials c = ca.issueSite(site, Duration.ofDays(1));
            var key = PemFiles.readPrivateKey(c.key());
            var cert = PemFiles.readCertificate(c.cert());
            TlsFiles tls = new TlsFiles(c.cert(), c.key(), c.ca());
            CoordinatorIdentity identity = new CoordinatorIdentity(null);
            Path state = dir.resolve(site);
            EgressLog egress = EgressLog.open(state, site, key, cert, "test");
            CoordinatorClient client = new CoordinatorClient("localhost", server.getPort(), tls, identity,
                    new EgressRecorder(egress, identity, "localhost:" + server.getPort()));
            Retrying retrying = new Retrying(new SiteConfig(new SiteConfig.Coordinator("localhost", server.getPort()),
                    tls, dir, "cpu", 0, 0, state, null, null), identity);
            Membership membership = new Membership();
            membership.joined("fed-hostile", site);
            RosterAuthentication authentication = new RosterAuthentication(key, cert, ca.certificate(),
                    java.time.Clock.systemUTC());
            agents.put(site, new Agent(site, cert.getEncoded(), new SecAggSessions(authentication, 0), membership,
                    client, retrying, egress, new ByteArrayOutputStream()));
        }
    }

    @AfterEach
    void close() throws Exception {
        for (Agent a : agents.values()) {
            a.client().close();
            a.egress().close();
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Steps 0 to 2 with the real server: every site advertises, shares and masks its delta. */
    private SecAggServer masked() {
        SecAggParameters params = SecAggParameters.choose("fed-hostile", ROUND, 4, 3, LENGTH, 1_000, 1.0);
        SecAggServer secAgg = new SecAggServer(params);
        Map<String, SecAggSession> sessions = new TreeMap<>();
        for (Agent a : agents.values()) {
            SecAggSession s = a.sessions().forAdvertising(a.site(), params);
            sessions.put(a.site(), s);
            secAgg.receive(SecAggWire.fromProto(a.site(), a.certificate(), s.advertise()));
        }
        List<KeyAdvertisement> roster = secAgg.closeAdvertising();
        sessions.forEach((site, s) -> secAgg.receive(SecAggWire.fromProto(site, s.share(roster))));
        secAgg.closeSharing().forEach((site, shares) -> sessions.get(site).receive(shares));
        int k = 0;
        for (Map.Entry<String, SecAggSession> e : sessions.entrySet()) {
            byte[] bytes = new MaskFilter(e.getValue()).apply(new CompressionFilter().apply(Deltas.trained(ROUND,
                    Deltas.gaussian(++k, LENGTH, 0.05), 10, DeltaEncoding.FLOAT32))).bytes();
            long[] y = new long[LENGTH];
            java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(y);
            secAgg.receive(new org.fedmil.secagg.MaskedInput(e.getKey(), 10, y));
        }
        return secAgg;
    }

    /** Each site signs, over the wire, the survivor set the coordinator double tells it. */
    private void consistencyRound(Map<String, UnmaskRequest> told) throws Exception {
        for (Agent a : agents.values()) {
            new ConsistencyExecutor(a.sessions(), a.membership(), a.client(), a.retrying(), a.out())
                    .execute(new SiteTask.SecAggConsistency(ROUND, told.get(a.site())));
        }
    }

    /** Each site is asked to unmask under the set it was told, with {@code forwarded} signatures. */
    private void unmaskStep(Map<String, UnmaskRequest> told, List<SurvivorSetSignature> forwarded) throws Exception {
        for (Agent a : agents.values()) {
            new UnmaskExecutor(a.sessions(), a.membership(), a.client(), a.retrying(), a.out(), a.egress())
                    .execute(new SiteTask.SecAggUnmask(ROUND, told.get(a.site()), forwarded));
        }
    }

    @Test
    void sitesToldTwoDifferentSurvivorSetsEachSeeTooFewSignaturesAndNoneReveals() throws Exception {
        SecAggServer secAgg = masked();
        UnmaskRequest honest = secAgg.closeMasking();
        assertThat(honest.survivors()).containsExactlyElementsOf(SITES);
        // the lie: site-a and site-b hear that site-d dropped (its masking key would then be revealed by them,
        // while site-c and site-d, told site-d survived, reveal its self-mask seed: both secrets of site-d)
        UnmaskRequest withoutD = new UnmaskRequest(List.of("site-a", "site-b", "site-c"), List.of("site-d"));
        Map<String, UnmaskRequest> told = Map.of("site-a", withoutD, "site-b", withoutD, "site-c", honest,
                "site-d", honest);

        consistencyRound(told);
        assertThat(signatures).as("every site signed the set it was told, over the wire")
                .containsOnlyKeys(SITES);
        unmaskStep(told, new ArrayList<>(signatures.values()));

        assertThat(unmasked).as("unmasking shares the coordinator received").isEmpty();
        for (Agent a : agents.values()) {
            assertThat(a.console().toString(StandardCharsets.UTF_8)).as(a.site())
                    .contains("refused to unmask").contains("only 2 valid signatures")
                    .contains("fewer than the 3 needed");
            assertThat(a.egressRecords("unmask_refused")).as("%s's egress log", a.site()).singleElement()
                    .asString().contains("different survivor sets");
            assertThat(a.egressRecords("sent")).as("%s sent its signature and nothing after it", a.site())
                    .singleElement().asString().contains("\"rpc\":\"SignSurvivors\"");
        }
    }

    @Test
    void sitesToldTheSameSurvivorSetRevealOverTheWire() throws Exception {
        SecAggServer secAgg = masked();
        UnmaskRequest request = secAgg.closeMasking();
        Map<String, UnmaskRequest> told = new TreeMap<>();
        SITES.forEach(s -> told.put(s, request));

        consistencyRound(told);
        unmaskStep(told, new ArrayList<>(signatures.values()));

        assertThat(unmasked).containsOnlyKeys(SITES);
        for (Agent a : agents.values()) {
            assertThat(a.egressRecords("unmask_refused")).as(a.site()).isEmpty();
        }
        // the shares it got unmask the sum with the real server
        signatures.values().forEach(secAgg::receive);
        unmasked.forEach((site, shares) -> secAgg.receive(SecAggWire.fromProto(site, shares)));
        assertThat(secAgg.finish().survivors()).containsExactlyElementsOf(SITES);
    }
}
