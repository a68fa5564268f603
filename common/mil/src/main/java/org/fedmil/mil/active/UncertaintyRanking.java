package org.fedmil.mil.active;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.TestTimeAugmentation;
import org.fedmil.mil.model.MilModel;

/**
 * Ranks unlabeled bags by how uncertain a model is about them, most uncertain first (uncertainty sampling): the
 * bags a clinician should label next, because the model learns most from the cases it cannot yet decide. Runs
 * entirely on the site; nothing of it is sent anywhere.
 */
public final class UncertaintyRanking {

    private final Optional<TestTimeAugmentation> tta;

    /** @param tta views to score tile bags in; needed for {@link Uncertainty#VIEW_DISAGREEMENT} */
    public UncertaintyRanking(Optional<TestTimeAugmentation> tta) {
        this.tta = Objects.requireNonNull(tta, "tta");
    }

    /** Every measure for one bag; reads the bag's features once. */
    public BagUncertainty measure(MilModel model, Bag bag) {
        double probability;
        double viewDisagreement = Double.NaN;
        if (tta.isPresent() && tta.get().viewCount() > 1) {
            float[] views = tta.get().viewProbabilities(model, bag);
            float[] uniform = new float[views.length];
            java.util.Arrays.fill(uniform, 1f / views.length);
            probability = mean(views);
            viewDisagreement = Uncertainty.weightedVariance(views, uniform);
        } else {
            probability = model.predictProbabilities(List.of(bag))[0];
        }
        double instanceDisagreement = Uncertainty.weightedVariance(model.instanceScores(bag),
                model.attentionWeights(bag));
        return new BagUncertainty(bag.id(), probability, Uncertainty.entropy(probability), instanceDisagreement,
                viewDisagreement);
    }

    /**
     * All of {@code bags} measured and sorted by {@code by}, highest first; ties keep bags.csv order. For
     * {@link Uncertainty#BALANCED_ENTROPY} the entropy order is then interleaved by predicted class
     * ({@link #alternateClasses}).
     *
     * @throws IllegalArgumentException for {@link Uncertainty#VIEW_DISAGREEMENT} without test-time views
     */
    public List<BagUncertainty> rank(MilModel model, List<Bag> bags, Uncertainty by) {
        if (by == Uncertainty.VIEW_DISAGREEMENT && (tta.isEmpty() || tta.get().viewCount() < 2)) {
            throw new IllegalArgumentException("view_disagreement needs several test-time views of tile bags "
                    + "(flips and/or rotations); rank by entropy or instance_disagreement instead");
        }
        List<BagUncertainty> out = new ArrayList<>(bags.size());
        for (Bag bag : bags) {
            out.add(measure(model, bag));
        }
        out.sort(Comparator.comparingDouble((BagUncertainty u) -> u.score(by)).reversed());
        return by == Uncertainty.BALANCED_ENTROPY ? alternateClasses(out) : out;
    }

    /**
     * {@code ranked} (most uncertain first) re-ordered to take bags alternately from the predicted-positive
     * (probability ≥ 0.5) and predicted-negative bags, each side in its given order, starting with the side of
     * the first bag; when one side runs out, the rest of the other follows.
     */
    public static List<BagUncertainty> alternateClasses(List<BagUncertainty> ranked) {
        List<BagUncertainty> positive = new ArrayList<>();
        List<BagUncertainty> negative = new ArrayList<>();
        for (BagUncertainty u : ranked) {
            (u.probability() >= 0.5 ? positive : negative).add(u);
        }
        boolean positiveFirst = !ranked.isEmpty() && ranked.get(0).probability() >= 0.5;
        List<BagUncertainty> first = positiveFirst ? positive : negative;
        List<BagUncertainty> second = positiveFirst ? negative : positive;
        List<BagUncertainty> out = new ArrayList<>(ranked.size());
        for (int i = 0; i < Math.max(first.size(), second.size()); i++) {
            if (i < first.size()) {
                out.add(first.get(i));
            }
            if (i < second.size()) {
                out.add(second.get(i));
            }
        }
        return out;
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        return s / x.length;
    }
}
