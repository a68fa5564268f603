package org.fedmil.coordinator.aggregate;

/**
 * What a {@link Strategy} is, declared by the strategy itself, so that what it may be combined with (secure
 * aggregation, a restart) is decided from these rather than from a list of names.
 */
public enum Capability {

    /**
     * The round's aggregate depends on the updates only through their bag-weighted mean (and the total bag count):
     * secure aggregation, which hands the coordinator only that, can feed the strategy.
     */
    LINEAR,

    /**
     * The strategy needs every site's update on its own (a coordinate-wise median, a per-update clip): it cannot
     * run with secure aggregation, which never shows the coordinator one site's update.
     */
    INDIVIDUAL_UPDATES,

    /**
     * The strategy keeps a server state across rounds ({@link Strategy#save}), which the coordinator persists with
     * every supervised round and a restarted coordinator must find.
     */
    STATEFUL
}
