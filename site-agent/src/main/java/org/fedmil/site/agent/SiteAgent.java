package org.fedmil.site.agent;

import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.EgressSchema;
import org.fedmil.mil.model.Devices;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.PemFiles;
import org.fedmil.protocol.LeaveReason;
import org.fedmil.protocol.Revoked;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.audit.LedgerReconciliation;
import org.fedmil.site.audit.SiteSeal;
import org.fedmil.site.audit.EgressRecorder;
import org.fedmil.site.audit.ReceiptStore;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.policy.Participation;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskFeed;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hospital's agent: dials the coordinator, joins, and hands each task it is given to that task's executor until
 * told to stop. What it sends is the join summary (software, device, bag counts per label), weight deltas with their
 * counts and training loss, and aggregate evaluation metrics; never images, features, per-bag outputs or instance
 * scores. Every delta leaves through the outbound filters (policy, DP, compression, mask, sign).
 */
public final class SiteAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SiteAgent.class);
    public static final String SOFTWARE_VERSION = "fedmil-site/" + versionOf(SiteAgent.class);

    /** Exit code of an agent its site policy stopped. */
    public static final int POLICY_STOPPED = 3;
    /**
     * Exit code when the coordinator refuses this site for good (e.g. the operator revoked it), or the TLS handshake
     * kept failing for connect_timeout_seconds for a reason waiting does not fix (the certificates do not fit).
     */
    public static final int REFUSED = 4;
    /** Exit code when the coordinator stayed unreachable for connect_timeout_seconds (systemd starts it again). */
    public static final int UNREACHABLE = 5;

    private final SiteConfig config;
    private final PrintStream out;
    private final SiteData data;
    private final SiteTrainer trainer;
    private final EgressLog egress;
    private final CoordinatorIdentity coordinator;
    private final CoordinatorClient client;
    private final PolicyGuard policy;
    private final Retrying retrying;
    private final TaskFeed tasks;
    private final Membership membership = new Membership();
    private final String ownName;
    private final TaskExecutors executors;
    private final X509Certificate consortiumCa;
    private boolean paused;

    public SiteAgent(SiteConfig config, PrintStream out) {
        this(config, out, data -> new SiteTrainer(Devices.choose(config.device()), data, config.encoderFile()));
    }

    /**
     * With another local learner than {@link SiteTrainer} on the config's device: for benchmarks that measure the
     * protocol's own cost (a trainer that returns a fixed delta). {@code fedmil site run} uses the constructor above.
     */
    public SiteAgent(SiteConfig config, PrintStream out,
                     java.util.function.Function<SiteData, SiteTrainer> trainers) {
        this.config = config;
        this.out = out;
        this.data = new SiteData(config.dataDir(), config.validation().split());
        if (data.validationCount() > 0) {
            log.info("{} of {} labelled bags are kept for validation (validation.fraction {}); they never train",
                    data.validationCount(), data.size(), config.validation().fraction());
        } else if (data.tooSmallForValidation()) {
            log.warn("{}: too few bags for a validation split (no class has 2 bags); every bag trains and this site "
                    + "reports no validation", config.dataDir());
        }
        this.trainer = trainers.apply(data);
        if (config.augmentation().any() && !data.isTiles()) {
            log.warn("augmentation is set in the site config but {} holds feature bags; it applies to tiles only "
                    + "and is ignored", config.dataDir());
        }
        X509Certificate own = PemFiles.readCertificate(config.tls().cert());
        this.ownName = PeerIdentity.of(own).commonName();
        PrivateKey ownKey = PemFiles.readPrivateKey(config.tls().key());
        SiteSeal seal = new SiteSeal(ownKey, own);
        // before anything is recorded or sent: a ledger behind what the egress log says was released is refused
        LedgerReconciliation.check(config.stateDir(), seal);
        this.egress = EgressLog.open(config.stateDir(), ownName, ownKey, own, SOFTWARE_VERSION);
        // the CA the site's TLS already trusts is the one every secure-aggregation roster entry must chain to
        this.consortiumCa = PemFiles.readCertificate(config.tls().ca());
        RosterAuthentication roster = new RosterAuthentication(ownKey, own, consortiumCa, Clock.systemUTC());
        this.coordinator = new CoordinatorIdentity(config.policy().coordinatorFingerprint());
        String target = config.coordinator().host() + ":" + config.coordinator().port();
        this.client = new CoordinatorClient(config.coordinator().host(), config.coordinator().port(), config.tls(),
                config.coordinator().handshakeTimeout(), coordinator, new EgressRecorder(egress, coordinator, target));
        ReceiptStore receipts = new ReceiptStore(config.stateDir(), egress, coordinator);
        this.policy = new PolicyGuard(config.policy(), Participation.open(config.stateDir()));
        this.retrying = new Retrying(config, coordinator);
        this.tasks = new TaskFeed(client, retrying, receipts, membership, config.pollWaitMs());
        this.executors = new TaskExecutors(new TaskExecutors.Site(config, out, data, trainer, client, retrying,
                membership, policy, receipts, ownKey, roster, egress, seal));
    }

    /** The site's egress log (every message it sent, receipts and heads it received). */
    public Path egressLog() {
        return egress.file();
    }

    /**
     * Runs until the coordinator says stop; returns the process exit code: 0 when told to stop,
     * {@value #POLICY_STOPPED} when the site's policy stopped it (the message says which rule and why).
     */
    public int run() throws InterruptedException {
        // the fingerprint the operator read out, to compare before trusting anything this agent does
        out.printf("site %s starting: coordinator %s:%d, consortium CA %s with SHA-256 fingerprint %s%n", ownName,
                config.coordinator().host(), config.coordinator().port(),
                consortiumCa.getSubjectX500Principal().getName(), Certificates.sha256Fingerprint(consortiumCa));
        try {
            policy.checkData(data.trainingLabelCounts());
            return work();
        } catch (PolicyViolation v) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("rule", v.rule());
            f.put("reason", v.getMessage());
            egress.record(EgressSchema.POLICY_STOPPED, f);
            out.println("site " + ownName + " stopped by its privacy policy: " + v.getMessage());
            if (!v.rule().equals("coordinator_fingerprint") && membership.hasJoined()) {
                try {
                    client.leave(LeaveReason.redact(v.getMessage(), config.stateDir(), config.dataDir()));
                } catch (StatusRuntimeException e) {
                    log.info("could not tell the coordinator this site leaves: {}", ConnectionProblem.brief(e));
                }
            }
            return POLICY_STOPPED;
        } catch (CoordinatorUnavailable e) {
            out.println("site " + ownName + " stopped: cannot reach the coordinator: " + e.getMessage());
            // certificates that do not fit are not fixed by a restart of this agent; a coordinator that is away may be
            return e.problem().mayPass() ? UNREACHABLE : REFUSED;
        } catch (EncoderBlockCheck.Unusable e) {
            out.println("site " + ownName + " " + e.getMessage());
            try {
                client.leave(LeaveReason.redact(e.getMessage(), config.stateDir(), config.dataDir()));
            } catch (StatusRuntimeException notTold) {
                log.info("could not tell the coordinator this site leaves: {}", ConnectionProblem.brief(notTold));
            }
            return REFUSED;
        } catch (NotAdmitted e) {
            // the federation cannot take this site as it is (finished, another encoder's features): retrying won't help
            out.println("site " + ownName + " not admitted by the coordinator: " + e.getMessage());
            return REFUSED;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != io.grpc.Status.Code.PERMISSION_DENIED) {
                leaveAfterFailure(e);
                throw e;
            }
            // refused again after joining again: final (the operator revoked this site, or it is not a site)
            out.println("site " + ownName + " refused by the coordinator: " + e.getStatus().getDescription());
            return REFUSED;
        } catch (RuntimeException e) {
            leaveAfterFailure(e);
            throw e;
        }
    }

    /**
     * A task failed in a way the agent cannot recover from (the data no longer fits, a bug): tell the coordinator
     * this site leaves, so that it is not shown as joined and the open round does not wait for it until its
     * deadline. Best effort: the failure itself is what the caller reports.
     */
    private void leaveAfterFailure(RuntimeException e) {
        if (!membership.hasJoined()) {
            return;
        }
        String reason = "site agent failed: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage());
        out.println("site " + ownName + " failed and leaves the federation: " + reason);
        try {
            client.leave(LeaveReason.redact(reason, config.stateDir(), config.dataDir()));
        } catch (RuntimeException notTold) {
            log.info("could not tell the coordinator this site leaves: {}", notTold.getMessage());
        }
    }

    private int work() throws InterruptedException {
        String site = join();
        boolean rejoined = false;
        while (true) {
            long asked = System.nanoTime();
            SiteTask task;
            try {
                task = tasks.next();
                notePause(site, task);
                executors.execute(task);
                rejoined = false;
            } catch (StatusRuntimeException e) {
                switch (e.getStatus().getCode()) {
                    case PERMISSION_DENIED -> {
                        // the coordinator restarted and forgot us: join again, once; a second refusal, or a
                        // revocation, is final
                        if (rejoined || Revoked.is(e)) {
                            throw e;
                        }
                        out.printf("site %s: coordinator does not know this site any more (%s); joining again%n",
                                site, e.getStatus().getDescription());
                        join();
                        rejoined = true;
                    }
                    // the round moved on while we trained or sent (a straggler, a restart): take the next task
                    case FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS -> out.printf("site %s: %s; asking for the "
                            + "next task%n", site, e.getStatus().getDescription());
                    default -> {
                        if (!Retry.isTransient(e.getStatus().getCode())) {
                            throw e;
                        }
                        log.info("site {}: task broke off ({}); asking again", site, ConnectionProblem.brief(e));
                        log.debug("site {}: task broke off", site, e);
                    }
                }
                continue;
            }
            if (task instanceof SiteTask.Wait w) {
                long rest = w.retryAfterMs() - (System.nanoTime() - asked) / 1_000_000;
                log.debug("waiting: {}", w.reason());
                if (rest > 0) {
                    Thread.sleep(rest);
                }
            } else if (task instanceof SiteTask.Stop s) {
                out.printf("site %s stopping: %s%n", site, s.reason());
                return 0;
            }
        }
    }

    /** One line when the operator pauses the federation and one when it resumes, not one per poll. */
    private void notePause(String site, SiteTask task) {
        boolean nowPaused = task instanceof SiteTask.Wait w && w.paused();
        if (nowPaused && !paused) {
            out.printf("site %s: paused by the operator; waiting until the federation is resumed%n", site);
        } else if (!nowPaused && paused && !(task instanceof SiteTask.Stop)) {
            out.printf("site %s: resumed by the operator%n", site);
        }
        paused = nowPaused;
    }

    private String join() throws InterruptedException {
        // the handshake first, so that a coordinator the pin refuses is refused before any message is described
        client.connect(Duration.ofSeconds(Math.min(config.connectTimeoutSeconds(), 30)));
        coordinator.pinRefusal().ifPresent(r -> {
            throw new PolicyViolation("coordinator_fingerprint", r);
        });
        JoinResponse joined;
        try {
            joined = retrying.call("join", () -> client.join(
                    JoinRequests.signed(data, Devices.describe(trainer.device()), trainer.encoderSha256(),
                            config.tls())));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION) {
                throw new NotAdmitted(e.getStatus().getDescription());
            }
            throw e;
        }
        policy.checkFeatureEncoder(joined.getFederationId(), joined.getFeatureEncoderSha256());
        executors.joined(membership.joined(joined.getFederationId(), joined.getSiteId()));
        if (joined.hasEncoderFineTune()) {
            EncoderBlockCheck.atJoin(trainer, joined, out);
        }
        out.printf("site %s joined federation '%s' (%d rounds) with %s on %s%n", joined.getSiteId(),
                joined.getFederationId(), joined.getTotalRounds(), data.describe(), trainer.device());
        return joined.getSiteId();
    }

    private static String versionOf(Class<?> c) {
        String v = c.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        trainer.close();
        egress.close();
    }

    /** The coordinator refused the join for a reason that holds until something changes at the site or the hub. */
    private static final class NotAdmitted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotAdmitted(String reason) {
            super(reason);
        }
    }
}
