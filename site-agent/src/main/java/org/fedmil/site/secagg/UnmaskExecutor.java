package org.fedmil.site.secagg;

import java.io.PrintStream;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.secagg.SecAggException;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
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

    private final SecAggSessions sessions;
    private final Membership membership;
    private final CoordinatorClient client;
    private final Retrying retrying;
    private final PrintStream out;
    private final org.fedmil.site.audit.EgressLog egress;

    public UnmaskExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                          Retrying retrying, PrintStream out, org.fedmil.site.audit.EgressLog egress) {
        this.egress = egress;
        this.sessions = sessions;
        this.membership = membership;
        this.client = client;
        this.retrying = retrying;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.SecAggUnmask task) throws InterruptedException {
        String site = membership.siteId();
        SecAggSession s = sessions.of(task.round(), "unmask");
        if (s == null) {
            return;
        }
        SecAggUnmaskShares shares;
        try {
            shares = s.unmask(task.request(), task.signatures());
        } catch (SecAggException e) {
            // the request would expose a site's input (or is inconsistent): refuse to answer, loudly, and keep the
            // refusal in the egress log, where an auditor holds it against the coordinator's round log
            log.error("site {} round {}: refusing the coordinator's unmask request: {}", site, task.round(),
                    e.getMessage());
            out.printf("site %s round %d: refused to unmask: %s%n", site, task.round(), e.getMessage());
            if (egress != null) {
                egress.record(org.fedmil.audit.EgressSchema.UNMASK_REFUSED,
                        java.util.Map.of("round", task.round(), "reason", e.getMessage()));
            }
            sessions.abandon();
            return;
        }
        retrying.run("unmask", () -> client.unmask(shares));
        log.info("site {} round {}: sent unmasking shares for {} survivors and {} dropped sites", site,
                task.round(), shares.getSelfMaskSharesCount(), shares.getMaskingKeySharesCount());
    }
}
