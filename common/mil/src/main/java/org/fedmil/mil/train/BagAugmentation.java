package org.fedmil.mil.train;

import java.util.Random;
import org.fedmil.mil.data.Bag;

/** A random, label-preserving change of a training bag (e.g. flipped or rotated tiles). */
@FunctionalInterface
public interface BagAugmentation {

    /** Leaves every bag as it is. */
    BagAugmentation NONE = (bag, rng) -> bag;

    /** A new bag; {@code bag} itself must not be changed. */
    Bag apply(Bag bag, Random rng);
}
