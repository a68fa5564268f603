package org.fedmil.site.secagg;

import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Secure aggregation, step 0: fresh key pairs for the round, their public halves signed and advertised. */
public final class AdvertiseExecutor implements TaskExecutor<SiteTask.SecAggAdvertise> {

    private static final Logger log = LoggerFactory.getLogger(AdvertiseExecutor.class);

    private final SecAggSessions sessions;
    private final Membership membership;
    private final CoordinatorClient client;
    private final Retrying retrying;

    public AdvertiseExecutor(SecAggSessions sessions, Membership membership, CoordinatorClient client,
                             Retrying retrying) {
        this.sessions = sessions;
        this.membership = membership;
        this.client = client;
        this.retrying = retrying;
    }

    @Override
    public void execute(SiteTask.SecAggAdvertise task) throws InterruptedException {
        String site = membership.siteId();
        SecAggSession s = sessions.forAdvertising(site, task.parameters());
        SecAggKeys keys = s.advertise();
        retrying.run("advertise keys", () -> client.advertiseKeys(keys));
        log.info("site {} round {}: advertised secure-aggregation keys (t={} of {})", site, s.round(),
                s.parameters().threshold(), s.parameters().invitedSites());
    }
}
