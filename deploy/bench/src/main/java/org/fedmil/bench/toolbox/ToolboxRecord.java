package org.fedmil.bench.toolbox;

/**
 * One arm's held-out result in a toolbox experiment, a line of the results file. Arms of one (dataset, seed,
 * experiment) share the split and the initial model, so their difference is the option's effect.
 *
 * @param experiment    "tta", "pseudo" or "active"
 * @param arm           e.g. "single", "tta", "last3", "runs3", "labelled-only", "pseudo", "suggested", "random"
 * @param labelledBags  labelled training bags over all sites
 * @param unlabeledBags unlabeled training bags over all sites
 * @param pseudoBags    pseudo-labelled bags that joined training in the last round (pseudo arm), else 0
 * @param pseudoErrors  of those, how many got the wrong label (the bench knows the hidden true labels)
 * @param poolBags      active: bags of the common test pool (held-out bags plus the bags no arm labelled), else 0
 *                      (also in result lines written before the pool existed)
 * @param poolAuc       active: AUC on that pool; meaningless when {@code poolBags} is 0
 */
public record ToolboxRecord(String dataset, long seed, String experiment, String arm, int labelledBags,
                            int unlabeledBags, int pseudoBags, int pseudoErrors, int heldoutBags, double auc,
                            double seconds, int poolBags, double poolAuc) {
}
