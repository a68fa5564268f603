package org.fedmil.bench.mil;

/**
 * One trained model's held-out scores, a line of the results file.
 *
 * @param arm          "federated", "centralised" or "local:&lt;site&gt;"
 * @param trainingBags bags the arm trained on (all sites' for federated and centralised)
 * @param localisation mean per-bag AUC of attention weights against hidden instance labels; NaN if none
 * @param rounds       federated arms: FedAvg rounds; null in records written before DP came in
 * @param sites        federated arms: number of sites, each taking part in every round
 * @param medianDeltaNorm federated arms: median L2 norm of the sites' deltas before clipping, over sites and rounds
 * @param dpNoise      "federated-dp": noise multiplier σ; null otherwise
 * @param dpClip       "federated-dp": clip norm C
 * @param epsilon      "federated-dp": ε at {@link #DP_DELTA} after all rounds (q = 1), adding or removing a site
 * @param epsilonReplaceOne the same under replace-one-site adjacency (sensitivity 2C: four times the RDP)
 * @param strategy     federated arms run with --strategies: the strategy as given (e.g. fedprox:mu=0.01); else null
 * @param attack       the attacks that arm ran under (e.g. sign_flip_x10:site=1,gaussian:site=2:std=0.05); else null
 * @param aucPerRound  federated arms run with --strategies: held-out AUC of the global model after every round,
 *                     round 0 (the initial model) first
 * @param variant      federated arms run with --variants: the training variant as given (e.g. optimizer=adamw);
 *                     else null
 * @param labelNoise   the labels flipped at one site for this run (e.g. site=1:fraction=0.2); null for none
 * @param warnings     what {@link org.fedmil.mil.eval.LearningCheck} found on the held-out scores (near-constant,
 *                     chance level, one class, a small set); empty in records written before
 */
public record RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                        int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                        double specificity, double localisation, double seconds, Integer rounds, Integer sites,
                        Double medianDeltaNorm, Double dpNoise, Double dpClip, Double epsilon,
                        Double epsilonReplaceOne, String strategy, String attack, java.util.List<Double> aucPerRound,
                        String variant, String labelNoise,
                        java.util.List<org.fedmil.mil.eval.LearningWarning> warnings) {

    public RunRecord {
        warnings = warnings == null ? java.util.List.of() : java.util.List.copyOf(warnings);
    }

    public RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                     int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                     double specificity, double localisation, double seconds, Integer rounds, Integer sites,
                     Double medianDeltaNorm, Double dpNoise, Double dpClip, Double epsilon,
                     Double epsilonReplaceOne, String strategy, String attack, java.util.List<Double> aucPerRound,
                     String variant, String labelNoise) {
        this(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper, sensitivity,
                specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip, epsilon,
                epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, java.util.List.of());
    }

    /** This record with {@code list} as its warnings. */
    public RunRecord withWarnings(java.util.List<org.fedmil.mil.eval.LearningWarning> list) {
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, list);
    }

    public RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                     int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                     double specificity, double localisation, double seconds, Integer rounds, Integer sites,
                     Double medianDeltaNorm, Double dpNoise, Double dpClip, Double epsilon,
                     Double epsilonReplaceOne, String strategy, String attack, java.util.List<Double> aucPerRound) {
        this(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper, sensitivity,
                specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip, epsilon,
                epsilonReplaceOne, strategy, attack, aucPerRound, null, null);
    }

    public RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                     int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                     double specificity, double localisation, double seconds, Integer rounds, Integer sites,
                     Double medianDeltaNorm, Double dpNoise, Double dpClip, Double epsilon,
                     Double epsilonReplaceOne) {
        this(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper, sensitivity,
                specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip, epsilon,
                epsilonReplaceOne, null, null, null);
    }

    /** δ at which the bench reports ε. */
    public static final double DP_DELTA = 1e-5;

    public RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags, int heldoutBags,
                     double auc, double aucLower, double aucUpper, double sensitivity, double specificity,
                     double localisation, double seconds) {
        this(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper, sensitivity,
                specificity, localisation, seconds, null, null, null, null, null, null, null);
    }
}
