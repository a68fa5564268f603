package org.fedmil.data.split;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Stratified k-fold assignment of units (bags, or patients with all their bags) to folds. Per label, units are
 * shuffled, then taken largest first (by bags; the shuffle breaks ties) and each goes to the fold that has the
 * fewest bags of that label so far (then the fewest bags, then the lowest fold). Every fold gets at least one unit
 * of each label; with one bag per unit a label of m bags gives every fold ⌊m/k⌋ or ⌈m/k⌉ of them, and with
 * patients the bag counts are as even as whole patients allow.
 * Only {@link Random} is used, so a seed gives the same folds on every JDK.
 */
public final class StratifiedFolds {

    private StratifiedFolds() {
    }

    /**
     * @param labels label (0 or 1) of each unit
     * @param bags   bags in each unit (1 for plain bags)
     * @param folds  k, at least 2
     * @return the fold (0 .. k-1) of each unit
     * @throws IllegalArgumentException when a label has fewer than k units, naming the label and its count
     */
    public static int[] assign(int[] labels, int[] bags, int folds, long seed, String unit) {
        if (folds < 2) {
            throw new IllegalArgumentException("--folds must be at least 2, got " + folds);
        }
        int[] fold = new int[labels.length];
        int[][] labelBags = new int[folds][2];
        int[] totalBags = new int[folds];
        Random rng = new Random(seed);
        for (int label = 0; label <= 1; label++) {
            List<Integer> units = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == label) {
                    units.add(i);
                }
            }
            if (units.size() < folds) {
                throw new IllegalArgumentException("label " + label + " has only " + units.size() + " " + unit
                        + (units.size() == 1 ? "" : "s") + ", fewer than the " + folds + " folds: every test fold "
                        + "needs at least one of each label; use --folds " + Math.max(2, units.size())
                        + " or fewer (or add " + unit + "s of label " + label + ")");
            }
            java.util.Collections.shuffle(units, rng);
            units.sort(Comparator.comparingInt((Integer i) -> bags[i]).reversed());
            for (int i : units) {
                int best = 0;
                for (int f = 1; f < folds; f++) {
                    if (labelBags[f][label] < labelBags[best][label]
                            || labelBags[f][label] == labelBags[best][label] && totalBags[f] < totalBags[best]) {
                        best = f;
                    }
                }
                fold[i] = best;
                labelBags[best][label] += bags[i];
                totalBags[best] += bags[i];
            }
        }
        return fold;
    }
}
