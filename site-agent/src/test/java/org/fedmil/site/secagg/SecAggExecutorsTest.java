package org.fedmil.site.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
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
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.testing.Deltas;
import org.fedmil.site.testing.TestPki;
import org.fedmil.tensor.DeltaEncoding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure-aggregation step executors of site-a, each on its own, where the site must refuse: nothing may then
 * leave the site. Site-a's client is real and records to a real egress log, which describes every message before it
 * is sent; the coordinator address has nothing listening, so only a refusal lets a step end quietly.
 */
class SecAggExecutorsTest {

    private static final int LENGTH = 50;

    @TempDir
    Path dir;

    private TestPki consortium;
    private EgressLog egress;
    private CoordinatorClient client;
    private Retrying retrying;
    private final Membership membership = new Membership();
    private final Map<String, PartyCredentials> credentials = new TreeMap<>();
    private SecAggSessions sessions;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

    @BeforeEach
    void siteA() throws IOException {
        consortium = new TestPki(dir.resolve("pki"));
        PartyCredentials a = credentials("site-a");
        TestPki.Site loaded = consortium.loaded(a);
        sessions = new SecAggSessions(loaded.rosterAuthentication(), 0);
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        TlsFiles tls = new TlsFiles(a.cert(), a.key(), a.ca());
        CoordinatorIdentity coordinator = new CoordinatorIdentity(null);
        egress = EgressLog.open(dir.resolve("state"), "site-a", loaded.key(), loaded.certificate(), "test");
        client = new CoordinatorClient("localhost", port, tls, coordinator,
                new EgressRecorder(egress, coordinator, "localhost:" + port));
        retrying = new Retrying(new SiteConfig(new SiteConfig.Coordinator("localhost", port), tls, dir, "cpu", 0, 0,
                dir.resolve("state"), null, null), coordinator);
        membership.joined("fed-test", "site-a");
        recordsAtStart = Files.readAllLines(egress.file()).size();
    }

    @AfterEach
    void close() throws InterruptedException {
        client.close();
        egress.close();
    }

    private int recordsAtStart;

    /** Whether the egress log holds only what it held when site-a started: nothing was described for sending. */
    private boolean nothingWasSent() throws IOException {
        return Files.readAllLines(egress.file()).size() == recordsAtStart;
    }

    private PartyCredentials credentials(String site) {
        return credentials.computeIfAbsent(site, consortium::issue);
    }

    /**
     * Three sites' sessions, advertised to {@code server}: site-a's is the one its executors hold, the other two
     * sites are played here.
     */
    private Map<String, SecAggSession> advertised(SecAggParameters params, SecAggServer server) throws Exception {
        Map<String, SecAggSession> all = new TreeMap<>();
        for (String site : List.of("site-a", "site-b", "site-c")) {
            TestPki.Site keys = consortium.loaded(credentials(site));
            SecAggSession s = site.equals("site-a") ? sessions.forAdvertising(site, params)
                    : SecAggSession.start(site, params, keys.rosterAuthentication());
            all.put(site, s);
            server.receive(SecAggWire.fromProto(site, keys.certificate().getEncoded(), s.advertise()));
        }
        return all;
    }

    @Test
    void aThresholdAtOrBelowHalfTheSitesStopsTheSiteByPolicyBeforeAnyKeyIsSent() throws IOException {
        SecAggParameters unsafe = SecAggParameters.choose("fed-test", 1, 4, 2, LENGTH, 1_000, 1.0);
        AdvertiseExecutor advertise = new AdvertiseExecutor(sessions, membership, client, retrying);

        assertThatThrownBy(() -> advertise.execute(new SiteTask.SecAggAdvertise(unsafe)))
                .isInstanceOf(PolicyViolation.class).hasMessageContaining("t > n/2");
        assertThat(nothingWasSent()).isTrue();
    }

    @Test
    void aRosterEntryItsSiteDidNotSignIsRefusedAndTheSiteSitsTheRestOfTheRoundOut() throws Exception {
        SecAggParameters params = SecAggParameters.choose("fed-test", 2, 3, 2, LENGTH, 1_000, 1.0);
        SecAggServer server = new SecAggServer(params);
        advertised(params, server);
        List<KeyAdvertisement> roster = new ArrayList<>();
        for (KeyAdvertisement k : server.closeAdvertising()) {
            // the coordinator swaps in a masking key of its own for site-c's
            roster.add(k.site().equals("site-c") ? new KeyAdvertisement(k.site(), k.encryptionKey(),
                    roster.get(0).maskingKey(), k.certificate(), k.signature()) : k);
        }

        new ShareExecutor(sessions, membership, client, retrying, out)
                .execute(new SiteTask.SecAggShare(2, roster));
        new MaskExecutor(sessions, membership, null, null, out).execute(new SiteTask.SecAggMask(
                new SiteTask.Train(2, new SiteTask.GlobalModel(1, Deltas.BASE_SHA,
                        new org.fedmil.mil.model.ModelSpec(org.fedmil.mil.model.Architecture.ATTENTION, 6, 5, 3)),
                        org.fedmil.proto.v1.TrainingConfig.getDefaultInstance()), List.of()));

        assertThat(console.toString(StandardCharsets.UTF_8))
                .contains("site site-a round 2: refused the secure-aggregation key roster");
        assertThat(sessions.of(2, "unmask")).as("the round's keys were given up").isNull();
        assertThat(nothingWasSent()).isTrue();
    }

    @Test
    void anUnmaskRequestThatWouldExposeASitesInputIsRefused() throws Exception {
        SecAggParameters params = SecAggParameters.choose("fed-test", 3, 3, 2, LENGTH, 1_000, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> all = advertised(params, server);
        List<KeyAdvertisement> roster = server.closeAdvertising();
        all.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        Map<String, List<EncryptedShare>> routed = server.closeSharing();
        routed.forEach((site, shares) -> all.get(site).receive(shares));
        for (SecAggSession s : all.values()) {
            new MaskFilter(s).apply(new CompressionFilter().apply(
                    Deltas.trained(3, Deltas.gaussian(1, LENGTH, 0.05), 10, DeltaEncoding.FLOAT32)));
        }

        // site-c both survived and dropped: its self-mask seed and its masking key together would unmask its input
        UnmaskRequest exposing = new UnmaskRequest(List.of("site-a", "site-b", "site-c"), List.of("site-c"));
        new UnmaskExecutor(sessions, membership, client, retrying, out, egress).execute(new SiteTask.SecAggUnmask(3,
                exposing, signatures(all, exposing)));

        assertThat(console.toString(StandardCharsets.UTF_8)).contains("site site-a round 3: refused to unmask")
                .contains("both survivor and dropped");
        assertThat(sentRecords()).isEmpty();
        assertThat(refusals()).singleElement().asString().contains("\"round\":3")
                .contains("both survivor and dropped");
    }

    /** Every session's signature over {@code request}'s survivors, with its roster certificate. */
    private List<SurvivorSetSignature> signatures(Map<String, SecAggSession> all, UnmaskRequest request)
            throws Exception {
        List<SurvivorSetSignature> out = new ArrayList<>();
        for (Map.Entry<String, SecAggSession> e : all.entrySet()) {
            byte[] cert = consortium.loaded(credentials(e.getKey())).certificate().getEncoded();
            out.add(SecAggWire.fromProto(e.getKey(), cert, e.getValue().signSurvivors(request)));
        }
        return out;
    }

    /** The egress records written since site-a started, of {@code type}. */
    private List<String> recordsSinceStart(String type) throws IOException {
        List<String> lines = Files.readAllLines(egress.file());
        return lines.subList(recordsAtStart, lines.size()).stream()
                .filter(l -> l.contains("\"type\":\"" + type + "\"")).toList();
    }

    private List<String> sentRecords() throws IOException {
        return recordsSinceStart(org.fedmil.audit.EgressSchema.SENT);
    }

    private List<String> refusals() throws IOException {
        return recordsSinceStart(org.fedmil.audit.EgressSchema.UNMASK_REFUSED);
    }

    /** Through the mask step of a 3-site round, site-a's session the executors' own; returns every session. */
    private Map<String, SecAggSession> masked(SecAggParameters params, SecAggServer server) throws Exception {
        Map<String, SecAggSession> all = advertised(params, server);
        List<KeyAdvertisement> roster = server.closeAdvertising();
        all.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        server.closeSharing().forEach((site, shares) -> all.get(site).receive(shares));
        for (SecAggSession s : all.values()) {
            new MaskFilter(s).apply(new CompressionFilter().apply(
                    Deltas.trained(params.round(), Deltas.gaussian(1, LENGTH, 0.05), 10, DeltaEncoding.FLOAT32)));
        }
        return all;
    }

    @Test
    void aSiteToldAnotherSurvivorSetThanTheOthersSignedRefusesToUnmaskAndRecordsTheRefusalInItsEgressLog()
            throws Exception {
        SecAggParameters params = SecAggParameters.choose("fed-test", 4, 3, 2, LENGTH, 1_000, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> all = masked(params, server);
        // the lie: site-a hears that site-c dropped, site-b and site-c hear that everyone survived
        UnmaskRequest toA = new UnmaskRequest(List.of("site-a", "site-b"), List.of("site-c"));
        UnmaskRequest toOthers = new UnmaskRequest(List.of("site-a", "site-b", "site-c"), List.of());
        List<SurvivorSetSignature> forwarded = new ArrayList<>(signatures(Map.of("site-a", all.get("site-a")), toA));
        all.remove("site-a");
        forwarded.addAll(signatures(all, toOthers));

        new UnmaskExecutor(sessions, membership, client, retrying, out, egress)
                .execute(new SiteTask.SecAggUnmask(4, toA, forwarded));

        assertThat(console.toString(StandardCharsets.UTF_8)).contains("site site-a round 4: refused to unmask")
                .contains("only 1 valid signatures").contains("fewer than the 2 needed");
        assertThat(sentRecords()).as("no unmasking share left the site").isEmpty();
        assertThat(refusals()).singleElement().asString().contains("\"round\":4")
                .contains("different survivor sets");
        assertThat(sessions.of(4, "unmask")).as("the round's keys were given up").isNull();
    }

    @Test
    void anUnmaskTaskWithoutTheConsistencyRoundIsRefused() throws Exception {
        SecAggParameters params = SecAggParameters.choose("fed-test", 5, 3, 2, LENGTH, 1_000, 1.0);
        SecAggServer server = new SecAggServer(params);
        masked(params, server);
        UnmaskRequest request = new UnmaskRequest(List.of("site-a", "site-b", "site-c"), List.of());

        new UnmaskExecutor(sessions, membership, client, retrying, out, egress)
                .execute(new SiteTask.SecAggUnmask(5, request, List.of()));

        assertThat(console.toString(StandardCharsets.UTF_8)).contains("refused to unmask")
                .contains("skipped the consistency round");
        assertThat(sentRecords()).isEmpty();
        assertThat(refusals()).hasSize(1);
    }
}
