package org.fedmil.bench.mil;

/**
 * One trained model's held-out scores, a line of the results file.
 *
 * @param arm          "federated", "centralised" or "local:&lt;site&gt;"
 * @param trainingBags bags the arm trained on (all sites' for federated and centralised)
 * @param localisation mean per-bag AUC of attention weights against hidden instance labels; NaN if none
 * @param rounds       federated arms: the FedAvg rounds budget (all run without validation; see {@code trained});
 *                     null in records written before DP came in
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
 * @param fold         cross-validation runs: the 1-based fold whose test bags were held out; null otherwise
 * @param heldoutLabels cross-validation runs: the held-out bags' labels, in held-out order, so that all folds'
 *                     scores can be pooled into one AUC; null otherwise
 * @param heldoutProbabilities cross-validation runs: the model's probability for each of those bags
 * @param trained      runs stopped on validation: rounds (federated) or epochs (single party) run; null without
 *                     validation, where {@code rounds} is what ran
 * @param kept         runs stopped on validation: the round or epoch whose model was kept and scored
 */
public record RunRecord(String dataset, long seed, String architecture, String arm, int trainingBags,
                        int heldoutBags, double auc, double aucLower, double aucUpper, double sensitivity,
                        double specificity, double localisation, double seconds, Integer rounds, Integer sites,
                        Double medianDeltaNorm, Double dpNoise, Double dpClip, Double epsilon,
                        Double epsilonReplaceOne, String strategy, String attack, java.util.List<Double> aucPerRound,
                        String variant, String labelNoise,
                        java.util.List<org.fedmil.mil.eval.LearningWarning> warnings, Integer fold,
                        java.util.List<Integer> heldoutLabels, java.util.List<Float> heldoutProbabilities,
                        Integer trained, Integer kept) {

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
                epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, java.util.List.of(), null, null,
                null, null, null);
    }

    /** This record with {@code list} as its warnings. */
    public RunRecord withWarnings(java.util.List<org.fedmil.mil.eval.LearningWarning> list) {
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, list, fold,
                heldoutLabels, heldoutProbabilities, trained, kept);
    }

    /** This record with the fold and held-out scores of {@code scored} (the record its metrics came from). */
    public RunRecord withFoldOf(RunRecord scored) {
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, warnings,
                scored.fold(), scored.heldoutLabels(), scored.heldoutProbabilities(), trained, kept);
    }

    /** This record as a cross-validation run: its fold and the held-out scores it was computed from. */
    public RunRecord withFold(Integer foldNumber, int[] labels, float[] probabilities) {
        if (foldNumber == null) {
            return this;
        }
        java.util.List<Integer> l = java.util.Arrays.stream(labels).boxed().toList();
        java.util.List<Float> p = new java.util.ArrayList<>(probabilities.length);
        for (float x : probabilities) {
            p.add(x);
        }
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, warnings, foldNumber, l,
                p, trained, kept);
    }

    /** This record with {@code v} as its variant (e.g. a DP-SGD arm's sampling rate and target ε). */
    public RunRecord withVariant(String v) {
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, v, labelNoise, warnings, fold,
                heldoutLabels, heldoutProbabilities, trained, kept);
    }

    /** This record with the rounds or epochs its arm ran and the one whose model it kept. */
    public RunRecord withStopping(int trainedCount, int keptAt) {
        return new RunRecord(dataset, seed, architecture, arm, trainingBags, heldoutBags, auc, aucLower, aucUpper,
                sensitivity, specificity, localisation, seconds, rounds, sites, medianDeltaNorm, dpNoise, dpClip,
                epsilon, epsilonReplaceOne, strategy, attack, aucPerRound, variant, labelNoise, warnings, fold,
                heldoutLabels, heldoutProbabilities, trainedCount, keptAt);
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
