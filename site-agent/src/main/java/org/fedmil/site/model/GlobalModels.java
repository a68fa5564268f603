package org.fedmil.site.model;

import java.util.Arrays;
import java.util.OptionalInt;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;

/**
 * The global models tasks name: downloaded (and checked against the announced SHA-256) once per version, and kept
 * in the site's {@link LocalModelStore} for explain and suggest, written from the download's bytes as they arrive.
 */
public final class GlobalModels {

    private final CoordinatorClient client;
    private final LocalModelStore store;
    private final Membership membership;
    private CoordinatorClient.DownloadedModel cached;

    public GlobalModels(CoordinatorClient client, LocalModelStore store, Membership membership) {
        this.client = client;
        this.store = store;
        this.membership = membership;
    }

    /**
     * The model's weights, from the last download when it is the same model.
     *
     * @param purpose what the model is fetched for ("train", "pretrain", "evaluate"), kept with it
     * @param round   the training round, when it is fetched for one
     */
    public CoordinatorClient.DownloadedModel fetch(SiteTask.GlobalModel model, String purpose, OptionalInt round) {
        byte[] sha = model.sha256();
        if (cached == null || cached.version() != model.version() || !Arrays.equals(cached.sha256(), sha)) {
            // the old model goes before the new one arrives: the site holds one model, not two
            cached = null;
            cached = client.downloadModel(model.version(), sha, store.saving(membership.federationId(), model.spec(),
                    model.version(), sha, purpose, round, model.encoderBlock()));
        }
        store.keep(membership.federationId(), model.spec(), cached, purpose, round, model.encoderBlock());
        return cached;
    }
}
