package org.fedmil.mil.data;

import java.util.Objects;

/**
 * One labelled bag of instances. Only the bag carries a label; its instances carry none.
 *
 * @param features row-major [instances × dim] float32 matrix
 */
public record Bag(String id, int label, int instances, int dim, float[] features) {

    public Bag {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(features, "features");
        if (label != 0 && label != 1) {
            throw new IllegalArgumentException("bag '" + id + "': label must be 0 or 1, got " + label);
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
}
