package org.fedmil.site.secagg;

import java.io.PrintStream;
import java.util.Map;
import org.fedmil.audit.EgressSchema;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure aggregation, step 3: reveal the survivors' self-mask shares and the dropped sites' masking-key shares,
 * unless the request would expose a site's input, or the consistency round's signatures do not show a quorum of the
 * holders of this site's shares agreeing on the survivor set it signed; this site refuses those loudly.
 */
public final class UnmaskExecutor implements TaskExecutor<SiteTask.SecAggUnmask> {

    private static final Logger log = LoggerFactory.getLogger(UnmaskExecutor.class);

    private static final SecAggStep.Refusal REFUSAL = new SecAggStep.Refusal(
            "refusing the coordinator's unmask request", "refused to unmask");

    private final SecAggStep step;
    private final EgressLog egress;

    public UnmaskExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                          Retrying retrying, PrintStream out, EgressLog egress) {
        this.step = new SecAggStep(sessions, membership, client, retrying, out);
        this.egress = egress;
    }

    @Override
    public void execute(SiteTask.SecAggUnmask task) throws InterruptedException {
        // a refusal is kept in the egress log, where an auditor holds it against the coordinator's round log
        step.run(task.round(), "unmask", s -> s.unmask(task.request(), task.signatures()), CoordinatorClient::unmask,
                        REFUSAL, e -> {
                            if (egress != null) {
                                egress.record(EgressSchema.UNMASK_REFUSED,
                                        Map.of("round", task.round(), "reason", e.getMessage()));
                            }
                        })
                .ifPresent(shares -> log.info("site {} round {}: sent unmasking shares for {} survivors and {} "
                        + "dropped sites", step.site(), task.round(), shares.getSelfMaskSharesCount(),
                        shares.getMaskingKeySharesCount()));
    }
}
