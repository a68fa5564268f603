package org.fedmil.site.secagg;

import java.io.PrintStream;
import org.fedmil.proto.v1.SecAggSurvivorSignature;
import org.fedmil.secagg.SecAggException;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure aggregation, the consistency round: sign the survivor set the coordinator says it holds masked inputs of.
 * A site signs one set per round attempt, so a coordinator that tells different sites different sets cannot gather
 * a quorum of signatures for more than one of them, and the sites then reveal nothing.
 */
public final class ConsistencyExecutor implements TaskExecutor<SiteTask.SecAggConsistency> {

    private static final Logger log = LoggerFactory.getLogger(ConsistencyExecutor.class);

    private final SecAggSessions sessions;
    private final Membership membership;
    private final CoordinatorClient client;
    private final Retrying retrying;
    private final PrintStream out;

    public ConsistencyExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                               Retrying retrying, PrintStream out) {
        this.sessions = sessions;
        this.membership = membership;
        this.client = client;
        this.retrying = retrying;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.SecAggConsistency task) throws InterruptedException {
        String site = membership.siteId();
        SecAggSession s = sessions.of(task.round(), "sign the survivor set");
        if (s == null) {
            return;
        }
        SecAggSurvivorSignature signature;
        try {
            signature = s.signSurvivors(task.request());
        } catch (SecAggException e) {
            log.error("site {} round {}: refusing to sign the coordinator's survivor set: {}", site, task.round(),
                    e.getMessage());
            out.printf("site %s round %d: refused to sign the survivor set: %s%n", site, task.round(),
                    e.getMessage());
            sessions.abandon();
            return;
        }
        retrying.run("sign the survivor set", () -> client.signSurvivors(signature));
        log.info("site {} round {}: signed the survivor set of {} sites ({} dropped)", site, task.round(),
                task.request().survivors().size(), task.request().dropped().size());
    }
}
