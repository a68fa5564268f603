package org.fedmil.site.agent;

import java.io.PrintStream;
import java.security.PrivateKey;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.audit.SiteHeadsSigner;
import java.time.Duration;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.site.audit.ReceiptStore;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.evaluate.EvaluateExecutor;
import org.fedmil.site.model.GlobalModels;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.outbound.CompressionFilter;
import org.fedmil.site.outbound.DpFilter;
import org.fedmil.site.outbound.OutboundPipeline;
import org.fedmil.site.outbound.SignFilter;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.secagg.AdvertiseExecutor;
import org.fedmil.site.secagg.ConsistencyExecutor;
import org.fedmil.site.secagg.MaskExecutor;
import org.fedmil.site.secagg.SecAggSessions;
import org.fedmil.site.secagg.ShareExecutor;
import org.fedmil.site.secagg.UnmaskExecutor;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.train.PretrainExecutor;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.site.train.TrainExecutor;

/** One executor per kind of work the coordinator can ask, wired to the one outbound pipeline they share. */
final class TaskExecutors {

    private final OutboundPipeline outbound;
    private final TrainExecutor train;
    private final PretrainExecutor pretrain;
    private final EvaluateExecutor evaluate;
    private final AdvertiseExecutor advertise;
    private final ShareExecutor share;
    private final MaskExecutor mask;
    private final UnmaskExecutor unmask;
    private final ConsistencyExecutor consistency;

    /** What the executors share: the site, its coordinator, and the state kept across tasks. */
    record Site(SiteConfig config, PrintStream out, SiteData data, SiteTrainer trainer, CoordinatorClient client,
                Retrying retrying, Membership membership, PolicyGuard policy, ReceiptStore receipts,
                PrivateKey key, RosterAuthentication rosterAuthentication, EgressLog egress,
                PrivacyLedger.Seal seal) {
    }

    TaskExecutors(Site s) {
        Duration patience = Duration.ofSeconds(s.config().connectTimeoutSeconds());
        SitePrivacy privacy = new SitePrivacy(s.config().policy().dp(), s.config().stateDir(), s.seal());
        this.outbound = new OutboundPipeline(s.policy(), s.membership(), new DpFilter(privacy),
                new CompressionFilter(), new SignFilter(s.key(), s.membership()),
                new ResumableUploader(s.client(), patience), s.receipts(),
                new SiteHeadsSigner(s.key(), s.egress(), s.receipts(), privacy::ledgerHead));
        GlobalModels models = new GlobalModels(s.client(), new LocalModelStore(s.config().stateDir()),
                s.membership());
        this.train = new TrainExecutor(s.membership(), outbound, models, s.trainer(), s.data(),
                s.config().augmentation(), s.out());
        this.pretrain = new PretrainExecutor(s.membership(), outbound, models, s.trainer(), s.out());
        this.evaluate = new EvaluateExecutor(s.membership(), s.policy(), models, s.trainer(), s.client(), s.out());
        SecAggSessions sessions = new SecAggSessions(s.rosterAuthentication(), s.config().pollWaitMs());
        this.advertise = new AdvertiseExecutor(sessions, s.membership(), s.client(), s.retrying());
        this.share = new ShareExecutor(sessions, s.membership(), s.client(), s.retrying(), s.out());
        this.mask = new MaskExecutor(sessions, s.membership(), train, outbound, s.out(), privacy);
        this.consistency = new ConsistencyExecutor(sessions, s.membership(), s.client(), s.retrying(), s.out());
        this.unmask = new UnmaskExecutor(sessions, s.membership(), s.client(), s.retrying(), s.out(), s.egress());
    }

    /** After a Join: state that belongs to one federation is dropped when the site joined another. */
    void joined(boolean otherFederation) {
        outbound.joined(otherFederation);
    }

    /** Hands {@code task} to its executor; Wait and Stop have none: they are the agent loop's own. */
    void execute(SiteTask task) throws InterruptedException {
        if (task instanceof SiteTask.Train t) {
            train.execute(t);
        } else if (task instanceof SiteTask.Pretrain t) {
            pretrain.execute(t);
        } else if (task instanceof SiteTask.Evaluate t) {
            evaluate.execute(t);
        } else if (task instanceof SiteTask.SecAggAdvertise t) {
            advertise.execute(t);
        } else if (task instanceof SiteTask.SecAggShare t) {
            share.execute(t);
        } else if (task instanceof SiteTask.SecAggMask t) {
            mask.execute(t);
        } else if (task instanceof SiteTask.SecAggConsistency t) {
            consistency.execute(t);
        } else if (task instanceof SiteTask.SecAggUnmask t) {
            unmask.execute(t);
        }
    }
}
