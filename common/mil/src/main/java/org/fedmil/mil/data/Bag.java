package org.fedmil.mil.data;

import java.util.Objects;

/**
 * One bag of instances. Only the bag carries a label; its instances carry none. A bag whose bags.csv row has an
 * empty label is {@link #UNLABELED}: {@link BagDataset} keeps such bags apart ({@link BagDataset#unlabeled()}),
 * so that no list of labelled bags, no label count and no loss ever sees one.
 *
 * @param label    0, 1, or {@link #UNLABELED}
 * @param features row-major [instances × dim] float32 matrix
 */
public record Bag(String id, int label, int instances, int dim, float[] features) {

    /** The label of a bag nobody has labelled yet (an empty label in bags.csv); never a class. */
    public static final int UNLABELED = -1;

    public Bag {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(features, "features");
        if (label != 0 && label != 1 && label != UNLABELED) {
            throw new IllegalArgumentException("bag '" + id + "': label must be 0 or 1 (or unlabeled), got " + label);
        }
        if (instances <= 0 || dim <= 0) {
            throw new IllegalArgumentException("bag '" + id + "': needs at least one instance and one feature, got "
                    + instances + "×" + dim);
        }
        if ((long) instances * dim != features.length) {
            throw new IllegalArgumentException("bag '" + id + "': " + instances + "×" + dim + " does not match "
                    + features.length + " values");
        }
    }

    /** Whether the bag has a real label (0 or 1), as opposed to {@link #UNLABELED}. */
    public boolean labelled() {
        return label != UNLABELED;
    }

    /** The same instances under another label, e.g. a pseudo-label for an unlabeled bag; shares the features. */
    public Bag withLabel(int newLabel) {
        return new Bag(id, newLabel, instances, dim, features);
    }
}
