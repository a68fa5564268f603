package org.fedmil.bench.mil;

/**
 * One trained model's held-out scores, a line of the results file.
 *
 * @param arm          "federated", "centralised" or "local:&lt;site&gt;"
 * @param trainingBags bags the arm trained on (all sites' for federated and centralised)
 * @param localisation mean per-bag AUC of attention weights against hidden instance labels; NaN if none
 */
public record RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                        int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                        double specificity, double localisation, double seconds) {
}
