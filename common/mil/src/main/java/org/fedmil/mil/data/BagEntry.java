package org.fedmil.mil.data;

import java.nio.file.Path;

/**
 * One row of a site's bags.csv: which bag, its label ({@link Bag#UNLABELED} for an empty label), and where it was
 * listed (for error messages).
 *
 * @param index the bags.csv it was read from
 * @param line  1-based line number in that file (the header is line 1)
 */
public record BagEntry(String id, int label, Path index, int line) {

    /** "bag 'x' (bags.csv line 7)", the prefix of every error about this bag. */
    public String describe() {
        return "bag '" + id + "' (" + index.getFileName() + " line " + line + ")";
    }

    /** Whether the row has a label (0 or 1) rather than an empty one. */
    public boolean labelled() {
        return label != Bag.UNLABELED;
    }
}
