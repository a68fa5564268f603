package org.fedmil.coordinator.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.AdminService;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.admin.SiteGate;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tls.PeerIdentity;

/**
 * A coordinator's gRPC services in process: the real {@link CoordinatorServer} (its interceptors, handler pool and
 * services) over grpc's in-process transport, a real {@link FederationRun} of a 4-weight model, a real signed round
 * log. There is no TLS in process, so the caller is named by a test header ({@link TestCallers}) instead of a
 * certificate; every site still has real consortium credentials, to sign its updates with.
 */
final class InProcessCoordinator implements AutoCloseable {

    static final String FEDERATION = "inproc";
    static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    static final GlobalModel INITIAL = GlobalModel.of(0, SPEC,
            new TensorSet(List.of(new NamedTensor("w", new long[] {4}, new float[] {1f, 1f, 1f, 1f}))));

    /** What the federation asks for; the defaults are two sites, no privacy, plain FedAvg, a norm bound of 10. */
    /**
     * What the federation asks for; the defaults are two sites, no privacy, plain FedAvg, a norm bound of 10.
     *
     * @param certificates identify callers as production does, by their TLS certificate (so none is admitted in
     *                     process), instead of by the test header
     */
    record Settings(int minSites, boolean secure, FederationPlan.DpRequirement dp, double maxNorm,
                    CoordinatorConfig.Limits limits, Strategy aggregator,
                    boolean certificates) {

        static Settings defaults() {
            return new Settings(2, false, null, 10.0, new CoordinatorConfig.Limits(null, null, null), new FedAvg(),
                    false);
        }

        Settings minSites(int n) {
            return new Settings(n, secure, dp, maxNorm, limits, aggregator, certificates);
        }

        Settings secured() {
            return new Settings(minSites, true, dp, maxNorm, limits, aggregator, certificates);
        }

        Settings dp(double clipNorm, double noiseMultiplier) {
            return new Settings(minSites, secure, new FederationPlan.DpRequirement(clipNorm, noiseMultiplier),
                    maxNorm, limits, aggregator, certificates);
        }

        Settings limits(CoordinatorConfig.Limits l) {
            return new Settings(minSites, secure, dp, maxNorm, l, aggregator, certificates);
        }

        Settings aggregator(Strategy a) {
            return new Settings(minSites, secure, dp, maxNorm, limits, a, certificates);
        }

        Settings certificateIdentity() {
            return new Settings(minSites, secure, dp, maxNorm, limits, aggregator, true);
        }
    }

    private final Path dir;
    private final ConsortiumCa ca;
    private final Map<String, PartyCredentials> credentials = new ConcurrentHashMap<>();
    private final TestCallers callers = new TestCallers();
    /** The refusals the run recorded, as "KIND: reason". */
    final List<String> refusals = Collections.synchronizedList(new ArrayList<>());
    final FederationRun run;
    final Revocations revocations;
    /** What the Admin service and the offline revocation file act through. */
    final AdminControl adminControl;
    private final RoundLog roundLog;
    /** The coordinator's state folder files (state.json, refusals.json), as the coordinator writes them. */
    final StateStore store;
    /** A fault of the coordinator's own to meet while a site leaves, when set: what the tests of faults use. */
    volatile RuntimeException leaveFault;
    private final CoordinatorServer server;
    private final ManagedChannel channel;

    InProcessCoordinator(Path dir, Settings settings) throws IOException {
        this.dir = dir;
        this.ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        this.roundLog = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(coordinator.key()),
                PemFiles.readCertificate(coordinator.cert()));
        AuditTrail audit = new AuditTrail(roundLog);
        FederationPlan plan = new FederationPlan(FEDERATION, settings.minSites(), 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT, settings.dp()), true,
                new RoundRules(settings.minSites(), 3_600_000, RoundRules.ShortRound.SKIP, settings.maxNorm()),
                settings.secure());
        audit.opened(plan, false, 1);
        this.store = new StateStore(dir.resolve("state"));
        RoundListener recorder = new RoundListener() {
            @Override
            public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                refusals.add(kind + ": " + reason);
                store.saveRefusal(new StateStore.Refusal(java.time.Instant.now().toString(), siteId, round, kind,
                        kind.code().name(), reason));
            }

            @Override
            public void stateChanged(RunState state) {
                store.saveState(state);
            }

            @Override
            public void siteLeft(String siteId, String reason, int remainingSites) {
                RuntimeException fault = leaveFault;
                if (fault != null) {
                    throw fault;
                }
            }
        };
        this.run = new FederationRun(plan, INITIAL, w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}),
                settings.aggregator(), new AllListeners(List.of(audit, recorder)));
        run.start();
        this.revocations = Revocations.load(dir);
        SiteGate gate = new SiteGate(revocations, Clock.systemUTC());
        String name = InProcessServerBuilder.generateName();
        this.adminControl = new AdminControl(run, revocations, gate, audit, Clock.systemUTC());
        AdminService admin = new AdminService(adminControl);
        this.server = (settings.certificates()
                ? new CoordinatorServer(InProcessServerBuilder.forName(name), run, settings.limits(), spoolDir(),
                        audit, gate, admin)
                : new CoordinatorServer(InProcessServerBuilder.forName(name), callers, run, settings.limits(),
                        spoolDir(), audit, gate, admin)).start();
        this.channel = InProcessChannelBuilder.forName(name).build();
    }

    /** The signed round log's records so far. */
    List<String> roundLogLines() throws IOException {
        return java.nio.file.Files.readAllLines(dir.resolve("round-log.jsonl"));
    }

    /**
     * Waits (at most 10 s) until the round log and state.json have not changed for {@code quietMs}: what a call set
     * off (a round opening after the last join) is written on the run's threads after the call returned.
     */
    InProcessCoordinator awaitQuiet(long quietMs) throws Exception {
        long giveUp = System.nanoTime() + 10_000_000_000L;
        String last = roundLogLines().size() + "|" + stateJson();
        while (System.nanoTime() < giveUp) {
            Thread.sleep(quietMs);
            String now = roundLogLines().size() + "|" + stateJson();
            if (now.equals(last)) {
                return this;
            }
            last = now;
        }
        throw new AssertionError("the round log or state.json kept changing for 10 s");
    }

    /** The state folder's state.json as written last ("" before the first write). */
    String stateJson() throws IOException {
        Path f = store.dir().resolve("state.json");
        return java.nio.file.Files.exists(f) ? java.nio.file.Files.readString(f) : "";
    }

    /** Where the service spools uploads. */
    Path spoolDir() {
        return dir.resolve("uploads");
    }

    /** The site's consortium credentials, issued on first use. */
    PartyCredentials credentials(String site) {
        return credentials.computeIfAbsent(site, s -> {
            try {
                PartyCredentials c = ca.issueSite(s, Duration.ofDays(1));
                callers.admit(PeerIdentity.of(PemFiles.readCertificate(c.cert())));
                return c;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The key of the site's certificate, which signs its update statements. */
    java.security.PrivateKey key(String site) {
        return PemFiles.readPrivateKey(credentials(site).key());
    }

    java.security.cert.X509Certificate certificate(String site) {
        return PemFiles.readCertificate(credentials(site).cert());
    }

    ConsortiumCa ca() {
        return ca;
    }

    /** The in-process channel to the server, for stubs that name no caller. */
    ManagedChannel channel() {
        return channel;
    }

    /** A stub whose calls the server sees as coming from {@code site}. */
    FederationGrpc.FederationStub as(String site) {
        credentials(site);
        return FederationGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(
                TestCallers.naming(site)));
    }

    FederationGrpc.FederationBlockingStub blockingAs(String site) {
        credentials(site);
        return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(TestCallers.naming(site)));
    }

    /** Joins each site through the Join RPC; the first round opens once settings.minSites have. */
    InProcessCoordinator join(String... sites) {
        for (String site : sites) {
            blockingAs(site).join(JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(3))
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(2)).build());
        }
        return this;
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.stop();
        run.close();
        roundLog.close();
    }

    /**
     * The test's stand-in for the certificate check: the caller is the site a request header names, admitted only
     * for its role. Test code only; the production server always reads the verified certificate.
     */
    static final class TestCallers implements CallerIdentity {

        static final Metadata.Key<String> CALLER = Metadata.Key.of("fedmil-test-caller",
                Metadata.ASCII_STRING_MARSHALLER);

        private final Map<String, PeerIdentity> known = new ConcurrentHashMap<>();

        static Metadata naming(String site) {
            Metadata m = new Metadata();
            m.put(CALLER, site);
            return m;
        }

        void admit(PeerIdentity identity) {
            known.put(identity.commonName(), identity);
        }

        @Override
        public ServerInterceptor requiring(PeerIdentity.Role role) {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                   ServerCallHandler<Q, R> next) {
                    String name = headers.get(CALLER);
                    PeerIdentity peer = name == null ? null : known.get(name);
                    if (peer == null || peer.role() != role) {
                        call.close(Status.UNAUTHENTICATED.withDescription("test caller '" + name + "' is not a known "
                                + role + " party"), new Metadata());
                        return new ServerCall.Listener<>() {
                        };
                    }
                    return Contexts.interceptCall(Context.current().withValue(PeerIdentity.PEER, peer), call,
                            headers, next);
                }
            };
        }
    }
}
