package org.fedmil.site.secagg;

import java.io.PrintStream;
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

    private static final SecAggStep.Refusal REFUSAL = new SecAggStep.Refusal(
            "refusing to sign the coordinator's survivor set", "refused to sign the survivor set");

    private final SecAggStep step;

    public ConsistencyExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                               Retrying retrying, PrintStream out) {
        this.step = new SecAggStep(sessions, membership, client, retrying, out);
    }

    @Override
    public void execute(SiteTask.SecAggConsistency task) throws InterruptedException {
        step.run(task.round(), "sign the survivor set", s -> s.signSurvivors(task.request()),
                        CoordinatorClient::signSurvivors, REFUSAL, e -> { })
                .ifPresent(signature -> log.info("site {} round {}: signed the survivor set of {} sites ({} dropped)",
                        step.site(), task.round(), task.request().survivors().size(),
                        task.request().dropped().size()));
    }
}
