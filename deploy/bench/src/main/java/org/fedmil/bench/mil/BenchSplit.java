package org.fedmil.bench.mil;

import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.BagDataset;

/**
 * One split of a benchmark data set: the sites' bags, the coordinator's held-out bags and, for scoring
 * localisation only, the held-out bags' hidden instance labels.
 *
 * @param fold the 1-based cross-validation fold whose test bags are the held-out set; null for a seeded split
 */
public record BenchSplit(String dataset, long seed, Integer fold, List<BagDataset> sites, BagDataset heldout,
                         Map<String, int[]> instanceLabels) {

    /** A seeded (not cross-validation) split. */
    public BenchSplit(String dataset, long seed, List<BagDataset> sites, BagDataset heldout,
                      Map<String, int[]> instanceLabels) {
        this(dataset, seed, null, sites, heldout, instanceLabels);
    }

    public int trainingBags() {
        return sites.stream().mapToInt(BagDataset::size).sum();
    }
}
