package org.fedmil.mil.active;

/**
 * What the model says about one unlabeled bag, for deciding which to label next.
 *
 * @param probability          the bag's probability of being positive (the TTA mean when views were used)
 * @param entropy              {@link Uncertainty#ENTROPY} of that probability, bits
 * @param instanceDisagreement {@link Uncertainty#INSTANCE_DISAGREEMENT}
 * @param viewDisagreement     {@link Uncertainty#VIEW_DISAGREEMENT}; NaN when the bag was scored in one view only
 */
public record BagUncertainty(String bagId, double probability, double entropy, double instanceDisagreement,
                             double viewDisagreement) {

    public double score(Uncertainty by) {
        return switch (by) {
            case ENTROPY, BALANCED_ENTROPY -> entropy;
            case INSTANCE_DISAGREEMENT -> instanceDisagreement;
            case VIEW_DISAGREEMENT -> viewDisagreement;
        };
    }
}
