package org.fedmil.mil.eval;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.MilModel;
import org.fedmil.tensor.TensorSet;

/**
 * An ensemble of models of one architecture: a bag's probability is the mean of the members' probabilities. The
 * members are weight sets loaded in turn into one {@link MilModel}, so k members cost k passes over the bags but
 * only one model's memory; a tile bag is therefore decoded k times, which is cheaper than holding all bags.
 *
 * <p>Typical members: the global models of the last k rounds (smoothing the last rounds' noise) or the final
 * models of k federations trained with different seeds or folds.
 */
public final class ModelEnsemble {

    private final List<TensorSet> members;

    public ModelEnsemble(List<TensorSet> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one member model");
        }
        this.members = List.copyOf(members);
    }

    public int size() {
        return members.size();
    }

    /**
     * Labels and mean member probabilities of labelled bags, each member scored with {@code tta} when given. The
     * model is left holding the last member's weights.
     */
    public MilModel.Scores score(MilModel model, List<Bag> bags, Optional<TestTimeAugmentation> tta) {
        Objects.requireNonNull(tta, "tta");
        float[][] perMember = new float[members.size()][];
        int[] labels = null;
        for (int m = 0; m < members.size(); m++) {
            model.setWeights(members.get(m));
            MilModel.Scores s = tta.isPresent() ? tta.get().score(model, bags) : model.score(bags);
            perMember[m] = s.probabilities();
            labels = s.labels();
        }
        return new MilModel.Scores(labels, average(perMember));
    }

    /** Held-out metrics of the ensemble. */
    public BinaryMetrics evaluate(MilModel model, List<Bag> bags, Optional<TestTimeAugmentation> tta) {
        MilModel.Scores s = score(model, bags, tta);
        return BinaryMetrics.of(s.labels(), s.probabilities());
    }

    /** Element-wise mean of equally long probability vectors, one per member. */
    public static float[] average(float[][] perMember) {
        if (perMember.length == 0) {
            throw new IllegalArgumentException("nothing to average: no member probabilities");
        }
        int n = perMember[0].length;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (float[] member : perMember) {
                if (member.length != n) {
                    throw new IllegalArgumentException("members scored different numbers of bags: " + n + " and "
                            + member.length);
                }
                sum += member[i];
            }
            out[i] = (float) (sum / perMember.length);
        }
        return out;
    }
}
