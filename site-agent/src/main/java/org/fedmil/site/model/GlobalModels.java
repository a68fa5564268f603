package org.fedmil.site.model;

import java.util.Arrays;
import java.util.OptionalInt;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.train.StartingWeights;

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

    /**
     * {@code downloaded}, just fetched, as a training round's starting weights. When the state folder's model file
     * holds this very model (version and SHA-256) the round's delta is formed against that file, and the weights in
     * memory are let go here and, once loaded into the engine, there too; a later fetch of the same model downloads
     * it again (a round's resend reuses its released delta and fetches nothing). Otherwise they stay in memory.
     */
    public StartingWeights startingWeights(CoordinatorClient.DownloadedModel downloaded) {
        if (store.holds(downloaded.version(), downloaded.sha256())) {
            if (cached == downloaded) {
                cached = null;
            }
            return StartingWeights.backedBy(downloaded.weights(), store.file(), downloaded.sha256());
        }
        return StartingWeights.inMemory(downloaded.weights());
    }
}
