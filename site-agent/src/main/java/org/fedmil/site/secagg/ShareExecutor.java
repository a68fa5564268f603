package org.fedmil.site.secagg;

import java.io.PrintStream;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.secagg.SecAggException;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Secure aggregation, step 1: check every roster entry's signature, then share this site's secrets with all. */
public final class ShareExecutor implements TaskExecutor<SiteTask.SecAggShare> {

    private static final Logger log = LoggerFactory.getLogger(ShareExecutor.class);

    private final SecAggSessions sessions;
    private final Membership membership;
    private final CoordinatorClient client;
    private final Retrying retrying;
    private final PrintStream out;

    public ShareExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                         Retrying retrying, PrintStream out) {
        this.sessions = sessions;
        this.membership = membership;
        this.client = client;
        this.retrying = retrying;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.SecAggShare task) throws InterruptedException {
        String site = membership.siteId();
        SecAggSession s = sessions.of(task.round(), "share keys");
        if (s == null) {
            return;
        }
        SecAggShares shares;
        try {
            shares = s.share(task.roster());
        } catch (SecAggException e) {
            // a roster entry that its site did not sign: nothing was derived or shared; this site sits the round out
            log.error("site {} round {}: refusing the key roster{}: {}", site, task.round(),
                    e.culprit().map(c -> " (entry of " + c + ")").orElse(""), e.getMessage());
            out.printf("site %s round %d: refused the secure-aggregation key roster: %s%n", site, task.round(),
                    e.getMessage());
            sessions.abandon();
            return;
        }
        retrying.run("share keys", () -> client.shareKeys(shares));
        log.info("site {} round {}: sent encrypted key shares to {} sites", site, task.round(),
                shares.getSharesCount());
    }
}
