package org.fedmil.site.task;

import org.fedmil.proto.v1.Task;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.audit.ReceiptStore;

/**
 * Where the agent's tasks come from: a NextTask long poll (retried while the coordinator is away), the round log's
 * signed head that came with the task kept as evidence, and the task converted for the executors.
 */
public final class TaskFeed {

    private final CoordinatorClient client;
    private final Retrying retrying;
    private final ReceiptStore receipts;
    private final Membership membership;
    private final int pollWaitMs;

    /** @param pollWaitMs how long the coordinator may hold the call before answering Wait */
    public TaskFeed(CoordinatorClient client, Retrying retrying, ReceiptStore receipts, Membership membership,
                    int pollWaitMs) {
        this.client = client;
        this.retrying = retrying;
        this.receipts = receipts;
        this.membership = membership;
        this.pollWaitMs = pollWaitMs;
    }

    public SiteTask next() throws InterruptedException {
        Task task = retrying.call("next task", () -> client.nextTask(pollWaitMs));
        if (task.hasLogHead()) {
            receipts.keepHead(task.getLogHead());
        }
        return TaskConverter.fromProto(task, membership.federationId());
    }
}
