package org.fedmil.coordinator.round;

/**
 * An update the open round accepted into its aggregate.
 *
 * @param sha256Hex the delta's SHA-256
 * @param l2Norm    the delta's L2 norm as received
 * @param signed    what the site signed for it
 */
public record AcceptedUpdate(String siteId, int round, String sha256Hex, long trainingBags, double trainLoss,
                             double l2Norm, SignedUpdate signed) {
}
