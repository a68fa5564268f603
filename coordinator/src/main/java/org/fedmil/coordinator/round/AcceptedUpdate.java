package org.fedmil.coordinator.round;

/**
 * An update the open round accepted into its aggregate.
 *
 * @param sha256Hex the delta's SHA-256
 * @param l2Norm    the delta's L2 norm as received
 * @param signed    what the site signed for it
 * @param weight    the FedAvg weight it was folded in with: its claimed bags, clamped to the round's share cap
 * @param weightCap the round's share cap, {@link Long#MAX_VALUE} when the round has none
 */
public record AcceptedUpdate(String siteId, int round, String sha256Hex, long trainingBags, double trainLoss,
                             double l2Norm, SignedUpdate signed, long weight, long weightCap) {

    /** Weighted by its claim, without a cap. */
    public AcceptedUpdate(String siteId, int round, String sha256Hex, long trainingBags, double trainLoss,
                          double l2Norm, SignedUpdate signed) {
        this(siteId, round, sha256Hex, trainingBags, trainLoss, l2Norm, signed, trainingBags, Long.MAX_VALUE);
    }
}
