package org.fedmil.mil.data;

import java.util.List;
import java.util.Set;

/**
 * Where a site's bag instances come from, given the bag list of bags.csv. {@link NpyBagSource} reads
 * precomputed feature matrices; a source that extracts features from image tiles can be added beside it
 * without changing how bags.csv is read or validated.
 */
public interface BagSource {

    /**
     * Reads a bag's instance features as listed. A bag cannot be empty ({@link Bag} refuses it), so
     * implementations report an empty bag as a {@link BagDataException}.
     *
     * @throws BagDataException naming the bag, its bags.csv line and the file at fault
     */
    Bag read(BagEntry entry);

    /**
     * Bags this source holds data for that bags.csv does not list. They are ignored, but worth a warning: a
     * forgotten bags.csv row silently shrinks the training set.
     */
    List<String> unlisted(Set<String> listedIds);
}
