package org.fedmil.site.secagg;

import java.io.PrintStream;
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

    // a roster entry that its site did not sign: nothing was derived or shared; this site sits the round out
    private static final SecAggStep.Refusal REFUSAL = new SecAggStep.Refusal("refusing the key roster",
            "refused the secure-aggregation key roster");

    private final SecAggStep step;

    public ShareExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                         Retrying retrying, PrintStream out) {
        this.step = new SecAggStep(sessions, membership, client, retrying, out);
    }

    @Override
    public void execute(SiteTask.SecAggShare task) throws InterruptedException {
        step.run(task.round(), "share keys", s -> s.share(task.roster()), CoordinatorClient::shareKeys, REFUSAL,
                        e -> { })
                .ifPresent(shares -> log.info("site {} round {}: sent encrypted key shares to {} sites", step.site(),
                        task.round(), shares.getSharesCount()));
    }
}
