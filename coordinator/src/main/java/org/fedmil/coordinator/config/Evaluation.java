package org.fedmil.coordinator.config;

import java.nio.file.Path;

/**
 * Extra held-out scores the coordinator computes after every round, beside the global model's own AUC (written
 * to heldout-extra.json in the state folder and printed under the round's line). They cost evaluation time
 * only: what is sent to sites does not change.
 *
 * @param tta            test-time augmentation of tile bags: none, flips, rotations or all (the 8 symmetries)
 * @param ensembleLastK  0 (off), or k ≥ 2: also score the mean of the last k global models' probabilities
 * @param ensembleModels final models of other federations of the same model (other seeds or folds), each a
 *                       model file (.fedmil) or another coordinator's state folder (its latest global model):
 *                       also score the mean of the global model and these
 */
public record Evaluation(String tta, Integer ensembleLastK, java.util.List<Path> ensembleModels,
                         Boolean heldOut) {

    public Evaluation(String tta, Integer ensembleLastK, java.util.List<Path> ensembleModels) {
        this(tta, ensembleLastK, ensembleModels, null);
    }

    public Evaluation {
        heldOut = heldOut == null || heldOut;
        tta = tta == null ? "none" : tta;
        ensembleLastK = ensembleLastK == null ? 0 : ensembleLastK;
        ensembleModels = ensembleModels == null ? java.util.List.of() : java.util.List.copyOf(ensembleModels);
    }

    /** Whether any extra score is asked for. */
    public boolean any() {
        return !tta.equals("none") || ensembleLastK > 0 || !ensembleModels.isEmpty();
    }

    /** The flips and rotations tta names. */
    public boolean flips() {
        return tta.equals("flips") || tta.equals("all");
    }

    public boolean rotations() {
        return tta.equals("rotations") || tta.equals("all");
    }
}
