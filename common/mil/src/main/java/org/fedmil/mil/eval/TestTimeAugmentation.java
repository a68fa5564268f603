package org.fedmil.mil.eval;

import java.util.List;
import java.util.Objects;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileAugmentation;
import org.fedmil.mil.model.MilModel;

/**
 * Test-time augmentation for tile bags: a bag's probability is the mean of the model's probabilities over several
 * views of it, each view the whole bag with every tile given the same flip or right-angle rotation. Histology has
 * no natural orientation, so each view is as valid an input as the original; averaging the views' probabilities
 * (not their logits, so that one confident view cannot outvote the others without bound) smooths out the
 * orientation a model happened to learn. The views are the group of {@link TileAugmentation}: flips (4 views),
 * rotations (4) or both (the 8 symmetries of the square), the identity always among them.
 *
 * <p>Costs one forward pass per view: 8× the evaluation time with the whole group.
 */
public final class TestTimeAugmentation {

    private final TileAugmentation views;

    /** @param views the group of transforms to average over; the identity group averages over one view */
    public TestTimeAugmentation(TileAugmentation views) {
        this.views = Objects.requireNonNull(views, "views");
    }

    /** How many views each bag is scored in. */
    public int viewCount() {
        return views.groupSize();
    }

    public TileAugmentation views() {
        return views;
    }

    /** The model's probability for each view of the bag, in the group's order (view 0 is the bag as it is). */
    public float[] viewProbabilities(MilModel model, Bag bag) {
        float[] p = new float[views.groupSize()];
        for (int v = 0; v < p.length; v++) {
            p[v] = model.predictProbabilities(List.of(views.view(bag, v)))[0];
        }
        return p;
    }

    /** The mean of {@link #viewProbabilities}. */
    public float probability(MilModel model, Bag bag) {
        return mean(viewProbabilities(model, bag));
    }

    /** Labels and TTA probabilities of labelled bags, reading each bag once. */
    public MilModel.Scores score(MilModel model, List<Bag> bags) {
        int[] labels = new int[bags.size()];
        float[] probabilities = new float[bags.size()];
        for (int i = 0; i < labels.length; i++) {
            Bag bag = bags.get(i);
            labels[i] = bag.label();
            probabilities[i] = probability(model, bag);
        }
        return new MilModel.Scores(labels, probabilities);
    }

    /** Held-out metrics of the model with TTA. */
    public BinaryMetrics evaluate(MilModel model, List<Bag> bags) {
        MilModel.Scores s = score(model, bags);
        return BinaryMetrics.of(s.labels(), s.probabilities());
    }

    static float mean(float[] p) {
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        return (float) (sum / p.length);
    }

    @Override
    public String toString() {
        return "TestTimeAugmentation[" + viewCount() + " views, " + views + "]";
    }
}
