package org.fedmil.site.secagg;

import java.io.PrintStream;
import java.util.Locale;
import org.fedmil.secagg.SecAggException;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.outbound.OutboundPipeline;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.fedmil.site.train.TrainExecutor;
import org.fedmil.util.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure aggregation, step 2: take the shares the other sites sent this one, train as for a plain round, and send
 * the delta masked. The delta goes through the same policy, DP and compression as a plain round's, then the mask.
 */
public final class MaskExecutor implements TaskExecutor<SiteTask.SecAggMask> {

    private static final Logger log = LoggerFactory.getLogger(MaskExecutor.class);

    private final SecAggSessions sessions;
    private final Membership membership;
    private final TrainExecutor training;
    private final OutboundPipeline outbound;
    private final PrintStream out;
    private final SitePrivacy privacy;

    public MaskExecutor(SecAggSessions sessions, Membership membership, TrainExecutor training,
                        OutboundPipeline outbound, PrintStream out) {
        this(sessions, membership, training, outbound, out, null);
    }

    /** @param privacy the site's ledger, charged for distributed DP releases (null: such rounds are refused) */
    public MaskExecutor(SecAggSessions sessions, Membership membership, TrainExecutor training,
                        OutboundPipeline outbound, PrintStream out, SitePrivacy privacy) {
        this.privacy = privacy;
        this.sessions = sessions;
        this.membership = membership;
        this.training = training;
        this.outbound = outbound;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.SecAggMask task) throws InterruptedException {
        long t0 = System.nanoTime();
        String site = membership.siteId();
        int round = task.train().round();
        SecAggSession s = sessions.of(round, "mask its update");
        if (s == null) {
            return;
        }
        try {
            s.receive(task.shares());
        } catch (SecAggException e) {
            // nothing of the delta was sent; the coordinator goes on without this site at the step's deadline
            log.error("site {} round {}: secure aggregation cannot go on{}: {}", site, round,
                    e.culprit().map(c -> " (bad share from " + c + ")").orElse(""), e.getMessage());
            sessions.abandon();
            return;
        }
        Outbound update = training.released(task.train());
        if (update.release().dpFedSgd().isPresent()) {
            sendShare(task, s, update, t0);
            return;
        }
        OutboundPipeline.Sent sent = outbound.send(update, new MaskFilter(s, privacy, task.weight()));
        out.printf(Locale.ROOT, "site %s round %d: trained %d bags, loss %.4f, sent masked delta %s (%d coordinates "
                        + "clamped to ±%s)%s in %.1f s%n", site, round, update.trainingBags(), update.trainLoss(),
                Sha256.shortHex(sent.receipt().getDeltaSha256().toByteArray()), s.clampedCoordinates(),
                s.parameters().coordinateBound(), TrainExecutor.privacyNote(update), (System.nanoTime() - t0) / 1e9);
    }

    /** DP-FedSGD: the round's integer share, masked as it is, charged to the ledger before it leaves. */
    private void sendShare(SiteTask.SecAggMask task, SecAggSession s, Outbound update, long t0)
            throws InterruptedException {
        long[] units = training.keptShare(update.round(), update.baseVersion());
        OutboundPipeline.Sent sent = outbound.send(update, new MaskFilter(s, privacy, task.weight(), units));
        out.printf(Locale.ROOT, "site %s round %d: sent masked DP-FedSGD share %s%s in %.1f s%n",
                membership.siteId(), update.round(), Sha256.shortHex(sent.receipt().getDeltaSha256().toByteArray()),
                TrainExecutor.privacyNote(sent.update()), (System.nanoTime() - t0) / 1e9);
    }
}
