package org.fedmil.mil.data;

/** How many bags of a dataset carry each label. */
public record LabelCounts(long negatives, long positives) {

    public long total() {
        return negatives + positives;
    }

    /** The counts of both sets of bags together. */
    public LabelCounts plus(LabelCounts other) {
        return new LabelCounts(Math.addExact(negatives, other.negatives), Math.addExact(positives, other.positives));
    }

    public double positiveRate() {
        return total() == 0 ? 0.0 : (double) positives / total();
    }
}
