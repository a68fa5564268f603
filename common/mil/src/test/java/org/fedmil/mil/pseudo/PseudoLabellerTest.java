package org.fedmil.mil.pseudo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;

class PseudoLabellerTest {

    @Test
    void confidentBagsGetTheModelsLabelAndTheRestStayOut() {
        PseudoLabeller at90 = new PseudoLabeller(0.9);
        assertThat(at90.labelFor(0.95)).isEqualTo(1);
        assertThat(at90.labelFor(0.9)).as("exactly at the threshold counts").isEqualTo(1);
        assertThat(at90.labelFor(0.899)).isEqualTo(Bag.UNLABELED);
        assertThat(at90.labelFor(0.5)).isEqualTo(Bag.UNLABELED);
        assertThat(at90.labelFor(0.101)).isEqualTo(Bag.UNLABELED);
        assertThat(at90.labelFor(0.1)).isEqualTo(0);
        assertThat(at90.labelFor(0.0)).isEqualTo(0);
        PseudoLabeller certain = new PseudoLabeller(1.0);
        assertThat(certain.labelFor(0.9999)).isEqualTo(Bag.UNLABELED);
        assertThat(certain.labelFor(1.0)).isEqualTo(1);
    }

    @Test
    void thresholdsThatDoNotMeanConfidentAreRefused() {
        for (double t : new double[]{0.5, 0.3, 1.01, Double.NaN, 0}) {
            assertThatThrownBy(() -> new PseudoLabeller(t)).as("threshold %s", t)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0.5, 1]");
        }
    }

    @Test
    void selectKeepsExactlyTheBagsTheModelIsSureOfAndAppendsThemRelabelled() {
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, 3, 4, 2);
        Random rng = new Random(2);
        List<Bag> unlabeled = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            float[] x = new float[2 * 3];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (rng.nextGaussian() * 4);
            }
            unlabeled.add(new Bag("u" + i, Bag.UNLABELED, 2, 3, x));
        }
        List<Bag> labelled = List.of(new Bag("a", 0, 1, 3, new float[3]), new Bag("b", 1, 1, 3, new float[3]));
        try (MilModel model = MilModel.create(spec, 5)) {
            float[] p = model.predictProbabilities(unlabeled);
            // a threshold between the scores, so that some bags are in and some out
            float[] confidence = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                confidence[i] = Math.max(p[i], 1 - p[i]);
            }
            float[] sorted = confidence.clone();
            java.util.Arrays.sort(sorted);
            double threshold = Math.max(0.5001, (sorted[5] + sorted[6]) / 2.0);
            PseudoLabels chosen = new PseudoLabeller(threshold).select(model, unlabeled);

            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < p.length; i++) {
                if (confidence[i] >= threshold) {
                    expected.add(i);
                }
            }
            assertThat(expected).isNotEmpty().hasSizeLessThan(p.length);
            assertThat(chosen.choices()).extracting(PseudoLabels.Choice::index).containsExactlyElementsOf(expected);
            assertThat(chosen.considered()).isEqualTo(12);
            for (PseudoLabels.Choice c : chosen.choices()) {
                assertThat(c.label()).isEqualTo(p[c.index()] >= 0.5 ? 1 : 0);
                assertThat(c.probability()).isEqualTo(p[c.index()]);
            }
            List<Bag> training = chosen.appendedTo(labelled);
            assertThat(training).hasSize(2 + expected.size());
            assertThat(training.subList(0, 2)).containsExactlyElementsOf(labelled);
            for (int k = 0; k < expected.size(); k++) {
                Bag b = training.get(2 + k);
                assertThat(b.id()).isEqualTo("u" + expected.get(k));
                assertThat(b.labelled()).isTrue();
                assertThat(b.label()).isEqualTo(chosen.choices().get(k).label());
            }
            // nothing confident enough: the labelled list itself
            assertThat(new PseudoLabeller(1.0).select(model, unlabeled).appendedTo(labelled)).isSameAs(labelled);
        }
    }
}
