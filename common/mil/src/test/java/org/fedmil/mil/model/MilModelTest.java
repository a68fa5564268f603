package org.fedmil.mil.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MilModelTest {

    private static final int INPUT = 6;
    private static final int HIDDEN = 5;
    private static final int ATTENTION = 3;

    private static ModelSpec spec(Architecture architecture) {
        return new ModelSpec(architecture, INPUT, HIDDEN, ATTENTION);
    }

    private static MilModel create(Architecture architecture, long seed) {
        return MilModel.create(spec(architecture), Engine.getInstance().defaultDevice(), seed);
    }

    private static List<String> expectedSpecs(Architecture architecture) {
        List<String> s = new ArrayList<>(List.of("encoder.0.weight[5, 6]", "encoder.0.bias[5]"));
        switch (architecture) {
            case ATTENTION -> s.addAll(List.of("attention.V.weight[3, 5]", "attention.V.bias[3]",
                    "attention.w.weight[1, 3]"));
            case GATED_ATTENTION -> s.addAll(List.of("attention.V.weight[3, 5]", "attention.V.bias[3]",
                    "attention.U.weight[3, 5]", "attention.U.bias[3]", "attention.w.weight[1, 3]"));
            case MEAN, MAX -> { }
        }
        s.addAll(List.of("classifier.weight[1, 5]", "classifier.bias[1]"));
        return s;
    }

    @Test
    void theCnnEncoderHasFixedNamesAndShapesForItsTileFormat() {
        // 27 → 13 → 6 after the two 2×2 poolings, so the fc layer sees 32 × 6 × 6 = 1152 values
        try (MilModel model = MilModel.create(ModelSpec.cnn(Architecture.GATED_ATTENTION, 3, 27, 8, 4), 1)) {
            List<String> actual = model.weights().specs().stream().map(TensorSpec::toString).toList();
            assertThat(actual).containsExactly("encoder.conv1.weight[16, 3, 3, 3]", "encoder.conv1.bias[16]",
                    "encoder.conv2.weight[32, 16, 3, 3]", "encoder.conv2.bias[32]", "encoder.fc.weight[8, 1152]",
                    "encoder.fc.bias[8]", "attention.V.weight[4, 8]", "attention.V.bias[4]",
                    "attention.U.weight[4, 8]", "attention.U.bias[4]", "attention.w.weight[1, 4]",
                    "classifier.weight[1, 8]", "classifier.bias[1]");
        }
    }

    @Test
    void aCnnModelScoresTileBagsAndIsReproducibleFromItsSeed() {
        ModelSpec spec = ModelSpec.cnn(Architecture.ATTENTION, 1, 28, 8, 4);
        Random rng = new Random(3);
        float[] tiles = new float[5 * 28 * 28];
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = rng.nextFloat();
        }
        Bag bag = new Bag("t", 1, 5, 28 * 28, tiles);
        try (MilModel a = MilModel.create(spec, 9); MilModel b = MilModel.create(spec, 9)) {
            float p = a.predictProbabilities(List.of(bag))[0];
            assertThat(p).isBetween(0f, 1f);
            assertThat(b.predictProbabilities(List.of(bag))[0]).isEqualTo(p);
            assertThat(a.attentionWeights(bag)).hasSize(5).containsOnly(0.2f);
            assertThat(a.instanceScores(bag)).hasSize(5);
        }
    }

    @Test
    void aCnnSpecMustAgreeWithItsTileFormat() {
        assertThatThrownBy(() -> new ModelSpec(Architecture.MAX, Encoder.CNN, 100, 8, 4, 3, 27))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels × tile_size² = 2187");
        assertThatThrownBy(() -> ModelSpec.cnn(Architecture.MAX, 2, 27, 8, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels 1 (grey) or 3 (RGB)");
        assertThatThrownBy(() -> new ModelSpec(Architecture.MAX, Encoder.MLP, 10, 8, 4, 3, 27))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cnn encoder only");
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void weightNamesShapesAndOrderAreFixedPerArchitecture(Architecture architecture) {
        try (MilModel model = create(architecture, 1)) {
            List<String> actual = model.weights().specs().stream().map(TensorSpec::toString).toList();
            assertThat(actual).containsExactlyElementsOf(expectedSpecs(architecture));
            assertThat(model.weightSpecs()).isEqualTo(model.weights().specs());
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void sameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot(Architecture architecture) {
        try (MilModel a = create(architecture, 42); MilModel b = create(architecture, 42);
             MilModel c = create(architecture, 43)) {
            assertThat(a.weights()).isEqualTo(b.weights());
            assertThat(a.weights().get("encoder.0.weight").values())
                    .isNotEqualTo(c.weights().get("encoder.0.weight").values());
            assertThat(a.weights().get("classifier.weight").values())
                    .isNotEqualTo(c.weights().get("classifier.weight").values());
        }
    }

    @Test
    void initialWeightsAreGlorotUniformWhileBiasesAndAttentionScoresStartAtZero() {
        try (MilModel model = create(Architecture.GATED_ATTENTION, 7)) {
            for (NamedTensor t : model.weights().tensors()) {
                if (t.name().endsWith(".bias") || t.name().equals("attention.w.weight")) {
                    assertThat(t.values()).as(t.name()).containsOnly(0f);
                } else {
                    long[] shape = t.shape();
                    double limit = Math.sqrt(6.0 / (shape[0] + shape[1]));
                    double maxAbs = 0;
                    for (float v : t.values()) {
                        assertThat(Math.abs(v)).as(t.name()).isLessThanOrEqualTo((float) limit);
                        maxAbs = Math.max(maxAbs, Math.abs(v));
                    }
                    assertThat(maxAbs).as(t.name() + " uses its range").isGreaterThan(limit / 4);
                }
            }
        }
    }

    @Test
    void setWeightsThenWeightsRoundTripsBitExactly() {
        try (MilModel model = create(Architecture.GATED_ATTENTION, 1)) {
            TensorSet wanted = randomWeights(model.weights(), new Random(5));
            // values whose bits a lossy path (double round trip, denormal flushing, sign loss) would change
            float[] encoder = wanted.get("encoder.0.weight").values();
            encoder[0] = -0.0f;
            encoder[1] = Float.MIN_VALUE;
            encoder[2] = -Float.MIN_NORMAL / 3;
            encoder[3] = Float.MAX_VALUE;
            encoder[4] = 0x1.fffffep-1f;

            model.setWeights(wanted);

            TensorSet actual = model.weights();
            assertThat(actual).isEqualTo(wanted);
            for (int i = 0; i < 5; i++) {
                assertThat(Float.floatToRawIntBits(actual.get("encoder.0.weight").values()[i]))
                        .isEqualTo(Float.floatToRawIntBits(encoder[i]));
            }
        }
    }

    @Test
    void aModelGivenAnotherModelsWeightsPredictsIdentically() {
        List<Bag> bags = LesionBags.generate(6, INPUT, 2, 9, 3).bags();
        try (MilModel source = create(Architecture.ATTENTION, 1); MilModel target = create(Architecture.ATTENTION, 2)) {
            source.setWeights(randomWeights(source.weights(), new Random(9)));
            assertThat(target.predictProbabilities(bags)).isNotEqualTo(source.predictProbabilities(bags));

            target.setWeights(source.weights());

            assertThat(target.predictProbabilities(bags)).isEqualTo(source.predictProbabilities(bags));
        }
    }

    @Test
    void setWeightsRefusesAWrongShapeNamingTheTensorAndBothShapes() {
        try (MilModel model = create(Architecture.ATTENTION, 1)) {
            TensorSet before = model.weights();
            List<NamedTensor> tensors = new ArrayList<>(before.tensors());
            int i = indexOf(tensors, "attention.V.weight");
            tensors.set(i, new NamedTensor("attention.V.weight", new long[] {5, 3}, new float[15]));

            assertThatThrownBy(() -> model.setWeights(new TensorSet(tensors)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'attention.V.weight'")
                    .hasMessageContaining("[5, 3]")
                    .hasMessageContaining("[3, 5]");
            assertThat(model.weights()).isEqualTo(before);
        }
    }

    @Test
    void setWeightsRefusesAMissingTensorNamingIt() {
        try (MilModel gated = create(Architecture.GATED_ATTENTION, 1);
             MilModel plain = create(Architecture.ATTENTION, 1)) {
            assertThatThrownBy(() -> gated.setWeights(plain.weights()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lack tensor 'attention.U.weight'");
        }
    }

    @Test
    void setWeightsRefusesAnUnexpectedTensorNamingIt() {
        try (MilModel model = create(Architecture.MEAN, 1)) {
            List<NamedTensor> tensors = new ArrayList<>(model.weights().tensors());
            tensors.add(new NamedTensor("attention.w.weight", new long[] {1, 3}, new float[3]));

            assertThatThrownBy(() -> model.setWeights(new TensorSet(tensors)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unexpected tensor 'attention.w.weight'");
        }
    }

    @Test
    void setWeightsRefusesTensorsInAnotherOrder() {
        try (MilModel model = create(Architecture.MEAN, 1)) {
            List<NamedTensor> tensors = new ArrayList<>(model.weights().tensors());
            java.util.Collections.reverse(tensors);

            assertThatThrownBy(() -> model.setWeights(new TensorSet(tensors)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("different order");
        }
    }

    /** The forward pass matches a plain-Java transcription of the formulas, for every pooling. */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardPassComputesTheDocumentedFormulas(Architecture architecture) {
        List<Bag> bags = LesionBags.generate(5, INPUT, 1, 12, 11).bags();
        try (MilModel model = create(architecture, 3)) {
            TensorSet w = randomWeights(model.weights(), new Random(13));
            model.setWeights(w);
            float[] probabilities = model.predictProbabilities(bags);
            for (int b = 0; b < bags.size(); b++) {
                Reference expected = Reference.forward(architecture, w, bags.get(b));
                assertThat(model.attentionWeights(bags.get(b)))
                        .as("instance weights of bag %d", b)
                        .containsExactly(expected.weights(), within(1e-5f));
                assertThat(probabilities[b]).as("probability of bag %d", b)
                        .isCloseTo(expected.probability(), within(1e-5f));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void instanceWeightsSumToOne(Architecture architecture) {
        List<Bag> bags = LesionBags.generate(8, INPUT, 1, 30, 17).bags();
        try (MilModel model = create(architecture, 5)) {
            for (Bag bag : bags) {
                float[] weights = model.attentionWeights(bag);
                assertThat(weights).hasSize(bag.instances());
                double sum = 0;
                for (float v : weights) {
                    assertThat(v).isBetween(0f, 1f);
                    sum += v;
                }
                assertThat(sum).isCloseTo(1.0, within(1e-5));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"ATTENTION", "GATED_ATTENTION"})
    void aFreshModelAttendsUniformly(Architecture architecture) {
        Bag bag = LesionBags.generate(2, INPUT, 5, 5, 1).bags().get(1);
        try (MilModel model = create(architecture, 1)) {
            assertThat(model.attentionWeights(bag)).containsOnly(0.2f);
        }
    }

    @Test
    void meanPoolingWeighsEveryInstanceEqually() {
        Bag bag = LesionBags.generate(1, INPUT, 4, 4, 1).bags().get(0);
        try (MilModel model = create(Architecture.MEAN, 1)) {
            assertThat(model.attentionWeights(bag)).containsExactly(0.25f, 0.25f, 0.25f, 0.25f);
        }
    }

    @Test
    void maxPoolingSplitsATiedDimensionBetweenItsWinners() {
        // encoder = identity, so h = relu(x): dim 0 is won by rows 0 and 1 jointly, dim 1 by row 0 alone
        ModelSpec spec = new ModelSpec(Architecture.MAX, 2, 2, 1);
        try (MilModel model = MilModel.create(spec, Engine.getInstance().defaultDevice(), 1)) {
            List<NamedTensor> tensors = new ArrayList<>();
            tensors.add(new NamedTensor("encoder.0.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}));
            tensors.add(new NamedTensor("encoder.0.bias", new long[] {2}, new float[2]));
            tensors.add(new NamedTensor("classifier.weight", new long[] {1, 2}, new float[] {1, 1}));
            tensors.add(new NamedTensor("classifier.bias", new long[] {1}, new float[1]));
            model.setWeights(new TensorSet(tensors));
            Bag bag = new Bag("b", 1, 3, 2, new float[] {1, 3, 1, 0, -2, 2});

            assertThat(model.attentionWeights(bag)).containsExactly(0.75f, 0.25f, 0f);
            // z = (1, 3), logit 4
            assertThat(model.predictProbabilities(List.of(bag))[0])
                    .isCloseTo((float) (1 / (1 + Math.exp(-4))), within(1e-6f));
        }
    }

    /** encoder = identity on two features (relu keeps these non-negative inputs), classifier z0 + 2 z1 − 1. */
    private static List<NamedTensor> identityEncoderAndClassifier() {
        List<NamedTensor> t = new ArrayList<>();
        t.add(new NamedTensor("encoder.0.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}));
        t.add(new NamedTensor("encoder.0.bias", new long[] {2}, new float[2]));
        return t;
    }

    private static final Bag TINY = new Bag("tiny", 1, 3, 2, new float[] {1, 0, 0, 0, 2, 1});

    private static float[] poolTiny(Architecture architecture, List<NamedTensor> attention) {
        try (MilModel model = MilModel.create(new ModelSpec(architecture, 2, 2, 1), 1)) {
            List<NamedTensor> tensors = identityEncoderAndClassifier();
            tensors.addAll(attention);
            tensors.add(new NamedTensor("classifier.weight", new long[] {1, 2}, new float[] {1, 2}));
            tensors.add(new NamedTensor("classifier.bias", new long[] {1}, new float[] {-1}));
            model.setWeights(new TensorSet(tensors));
            float[] weights = model.attentionWeights(TINY);
            float p = model.predictProbabilities(List.of(TINY))[0];
            float[] out = java.util.Arrays.copyOf(weights, weights.length + 1);
            out[weights.length] = p;
            return out;
        }
    }

    @Test
    void meanPoolingOfATinyBagMatchesHandComputation() {
        // h = (1,0), (0,0), (2,1); z = (1, 1/3); logit = 1 + 2/3 − 1 = 2/3
        float[] out = poolTiny(Architecture.MEAN, List.of());
        assertThat(out[0]).isCloseTo(1f / 3, within(1e-6f));
        assertThat(out[3]).isCloseTo(sigmoid(2.0 / 3), within(1e-6f));
    }

    @Test
    void maxPoolingOfATinyBagMatchesHandComputation() {
        // z = (2, 1), both maxima from instance 2; logit = 2 + 2 − 1 = 3
        float[] out = poolTiny(Architecture.MAX, List.of());
        assertThat(java.util.Arrays.copyOf(out, 3)).containsExactly(0f, 0f, 1f);
        assertThat(out[3]).isCloseTo(sigmoid(3), within(1e-6f));
    }

    @Test
    void attentionPoolingOfATinyBagMatchesHandComputation() {
        // V = (1, 0), w = 1: scores tanh(1), tanh(0), tanh(2); a = softmax(scores); z = Σ a h
        float[] out = poolTiny(Architecture.ATTENTION, List.of(
                new NamedTensor("attention.V.weight", new long[] {1, 2}, new float[] {1, 0}),
                new NamedTensor("attention.V.bias", new long[] {1}, new float[1]),
                new NamedTensor("attention.w.weight", new long[] {1, 1}, new float[] {1})));
        double[] e = {Math.exp(Math.tanh(1)), Math.exp(0), Math.exp(Math.tanh(2))};
        double sum = e[0] + e[1] + e[2];
        double[] a = {e[0] / sum, e[1] / sum, e[2] / sum}; // 0.3563, 0.1662, 0.4775
        assertThat(out[0]).isCloseTo((float) a[0], within(1e-6f));
        assertThat(out[1]).isCloseTo((float) a[1], within(1e-6f));
        assertThat(out[2]).isCloseTo((float) a[2], within(1e-6f));
        double z0 = a[0] * 1 + a[2] * 2;
        double z1 = a[2] * 1;
        assertThat(out[3]).isCloseTo(sigmoid(z0 + 2 * z1 - 1), within(1e-6f));
    }

    @Test
    void gatedAttentionPoolingOfATinyBagMatchesHandComputation() {
        // gate U = (0, 1): scores tanh(h0) · σ(h1) = tanh(1)·½, 0·½, tanh(2)·σ(1)
        float[] out = poolTiny(Architecture.GATED_ATTENTION, List.of(
                new NamedTensor("attention.V.weight", new long[] {1, 2}, new float[] {1, 0}),
                new NamedTensor("attention.V.bias", new long[] {1}, new float[1]),
                new NamedTensor("attention.U.weight", new long[] {1, 2}, new float[] {0, 1}),
                new NamedTensor("attention.U.bias", new long[] {1}, new float[1]),
                new NamedTensor("attention.w.weight", new long[] {1, 1}, new float[] {1})));
        double[] e = {Math.exp(Math.tanh(1) * 0.5), Math.exp(0), Math.exp(Math.tanh(2) * sigmoid(1))};
        double sum = e[0] + e[1] + e[2];
        double[] a = {e[0] / sum, e[1] / sum, e[2] / sum};
        assertThat(out[0]).isCloseTo((float) a[0], within(1e-6f));
        assertThat(out[1]).isCloseTo((float) a[1], within(1e-6f));
        assertThat(out[2]).isCloseTo((float) a[2], within(1e-6f));
        assertThat(out[3]).isCloseTo(sigmoid(a[0] + 2 * a[2] + 2 * a[2] - 1), within(1e-6f));
    }

    @Test
    void instanceScoresAreEachInstanceScoredAsABagOfOne() {
        // encoder = identity + relu, classifier = sum - 1: instance (1, 3) → logit 3, (1, 0) → 0, (-2, 2) → 1
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, 2, 2, 1);
        try (MilModel model = MilModel.create(spec, Engine.getInstance().defaultDevice(), 1)) {
            List<NamedTensor> tensors = new ArrayList<>();
            tensors.add(new NamedTensor("encoder.0.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}));
            tensors.add(new NamedTensor("encoder.0.bias", new long[] {2}, new float[2]));
            tensors.add(new NamedTensor("attention.V.weight", new long[] {1, 2}, new float[] {1, 1}));
            tensors.add(new NamedTensor("attention.V.bias", new long[] {1}, new float[1]));
            tensors.add(new NamedTensor("attention.w.weight", new long[] {1, 1}, new float[] {1}));
            tensors.add(new NamedTensor("classifier.weight", new long[] {1, 2}, new float[] {1, 1}));
            tensors.add(new NamedTensor("classifier.bias", new long[] {1}, new float[] {-1}));
            model.setWeights(new TensorSet(tensors));
            Bag bag = new Bag("b", 1, 3, 2, new float[] {1, 3, 1, 0, -2, 2});

            float[] scores = model.instanceScores(bag);
            assertThat(scores).hasSize(3);
            assertThat(scores[0]).isCloseTo(sigmoid(3), within(1e-6f));
            assertThat(scores[1]).isCloseTo(sigmoid(0), within(1e-6f));
            assertThat(scores[2]).isCloseTo(sigmoid(1), within(1e-6f));
            // a bag of one is pooled to itself, so its bag probability is its instance score
            Bag single = new Bag("s", 1, 1, 2, new float[] {1, 3});
            assertThat(model.predictProbabilities(List.of(single))[0]).isCloseTo(scores[0], within(1e-6f));
        }
    }

    private static float sigmoid(double x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    @Test
    void aBagWithTheWrongFeatureCountIsRefused() {
        Bag bag = new Bag("odd", 0, 2, INPUT + 1, new float[2 * (INPUT + 1)]);
        try (MilModel model = create(Architecture.ATTENTION, 1)) {
            assertThatThrownBy(() -> model.predictProbabilities(List.of(bag)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'odd'")
                    .hasMessageContaining("input_dim=" + INPUT);
        }
    }

    @Test
    void theModelLivesOnTheDeviceItWasCreatedFor() {
        Device device = Engine.getInstance().defaultDevice();
        try (MilModel model = MilModel.create(spec(Architecture.MEAN), device, 1)) {
            assertThat(model.device()).isEqualTo(device);
            assertThat(model.parameterArrays().values())
                    .allSatisfy(array -> assertThat(array.getDevice()).isEqualTo(device));
        }
    }

    @Test
    void aClosedModelRefusesUse() {
        MilModel model = create(Architecture.MEAN, 1);
        model.close();
        assertThatThrownBy(model::weights).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void predictionAndInspectionLeaveNoArraysOnTheModel() {
        List<Bag> bags = LesionBags.generate(10, INPUT, 1, 20, 2).bags();
        try (MilModel model = create(Architecture.GATED_ATTENTION, 1)) {
            int before = model.manager().getManagedArrays().size();
            model.predictProbabilities(bags);
            model.attentionWeights(bags.get(0));
            model.setWeights(model.weights());
            assertThat(model.manager().getManagedArrays()).hasSize(before);
        }
    }

    static TensorSet randomWeights(TensorSet like, Random rng) {
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : like.tensors()) {
            float[] values = new float[t.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (rng.nextGaussian() * 0.7);
            }
            out.add(new NamedTensor(t.name(), t.shape(), values));
        }
        return new TensorSet(out);
    }

    private static int indexOf(List<NamedTensor> tensors, String name) {
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no tensor " + name);
    }

    /** The model's forward pass written out in plain Java, double precision. */
    private record Reference(float[] weights, float probability) {

        static Reference forward(Architecture architecture, TensorSet w, Bag bag) {
            int n = bag.instances();
            double[][] x = new double[n][bag.dim()];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < bag.dim(); j++) {
                    x[i][j] = bag.features()[i * bag.dim() + j];
                }
            }
            double[][] h = relu(linear(x, w.get("encoder.0.weight"), w.get("encoder.0.bias")));
            int hidden = h[0].length;
            double[] z = new double[hidden];
            double[] a = new double[n];
            switch (architecture) {
                case ATTENTION, GATED_ATTENTION -> {
                    double[][] t = tanh(linear(h, w.get("attention.V.weight"), w.get("attention.V.bias")));
                    if (architecture == Architecture.GATED_ATTENTION) {
                        double[][] gate = linear(h, w.get("attention.U.weight"), w.get("attention.U.bias"));
                        for (int i = 0; i < n; i++) {
                            for (int k = 0; k < t[i].length; k++) {
                                t[i][k] *= 1 / (1 + Math.exp(-gate[i][k]));
                            }
                        }
                    }
                    double[][] s = linear(t, w.get("attention.w.weight"), null);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        max = Math.max(max, s[i][0]);
                    }
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.exp(s[i][0] - max);
                        sum += a[i];
                    }
                    for (int i = 0; i < n; i++) {
                        a[i] /= sum;
                        for (int j = 0; j < hidden; j++) {
                            z[j] += a[i] * h[i][j];
                        }
                    }
                }
                case MEAN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = 1.0 / n;
                        for (int j = 0; j < hidden; j++) {
                            z[j] += h[i][j] / n;
                        }
                    }
                }
                case MAX -> {
                    for (int j = 0; j < hidden; j++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < n; i++) {
                            max = Math.max(max, h[i][j]);
                        }
                        z[j] = max;
                        int winners = 0;
                        for (int i = 0; i < n; i++) {
                            winners += h[i][j] == max ? 1 : 0;
                        }
                        for (int i = 0; i < n; i++) {
                            a[i] += h[i][j] == max ? 1.0 / winners / hidden : 0;
                        }
                    }
                }
            }
            double logit = linear(new double[][] {z}, w.get("classifier.weight"), w.get("classifier.bias"))[0][0];
            float[] weights = new float[n];
            for (int i = 0; i < n; i++) {
                weights[i] = (float) a[i];
            }
            return new Reference(weights, (float) (1 / (1 + Math.exp(-logit))));
        }

        /** x [n, in] · Wᵀ [in, out] + b, with W stored [out, in] as in the model. */
        private static double[][] linear(double[][] x, NamedTensor weight, NamedTensor bias) {
            int out = (int) weight.shape()[0];
            int in = (int) weight.shape()[1];
            double[][] y = new double[x.length][out];
            for (int i = 0; i < x.length; i++) {
                for (int o = 0; o < out; o++) {
                    double v = bias == null ? 0 : bias.values()[o];
                    for (int k = 0; k < in; k++) {
                        v += x[i][k] * weight.values()[o * in + k];
                    }
                    y[i][o] = v;
                }
            }
            return y;
        }

        private static double[][] relu(double[][] x) {
            for (double[] row : x) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = Math.max(0, row[j]);
                }
            }
            return x;
        }

        private static double[][] tanh(double[][] x) {
            for (double[] row : x) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = Math.tanh(row[j]);
                }
            }
            return x;
        }
    }
}
