package org.fedmil.mil.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/**
 * Fine-tuning the last block of a TorchScript encoder with the MIL head, on two-block-encoder.pt
 * (src/test/resources/encoders/make_encoders.py: stem.weight, stem.bias, block.0.weight, block.0.bias; 8 features).
 */
class TrainableTorchScriptTest {

    static final Path TWO_BLOCK = Path.of("src/test/resources/encoders/two-block-encoder.pt");
    static final TileFormat TILES = new TileFormat(3, 16);
    static final ModelSpec HEAD = new ModelSpec(Architecture.ATTENTION, 8, 16, 8);
    static final EncoderFineTuning LAST_BLOCK = EncoderFineTuning.parse("last_block", null);

    static TrainableTorchScript load(EncoderFineTuning fineTuning) {
        return TrainableTorchScript.load(TWO_BLOCK, Device.cpu(), TILES, TileNormalisation.IMAGENET, fineTuning);
    }

    /** Bags of random tiles; a positive bag holds one tile with a bright red square, the key instance. */
    static List<Bag> bags(int count, long seed) {
        Random rng = new Random(seed);
        List<Bag> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            int n = 3 + rng.nextInt(3);
            int label = b % 2;
            float[] x = new float[n * TILES.dim()];
            for (int i = 0; i < x.length; i++) {
                x[i] = 0.3f + 0.2f * rng.nextFloat();
            }
            if (label == 1) {
                for (int i = 4; i < 12; i++) {
                    for (int j = 4; j < 12; j++) {
                        x[i * 16 + j] = 1f;
                    }
                }
            }
            out.add(new Bag("bag" + b, label, n, TILES.dim(), x));
        }
        return out;
    }

    static float[] tensor(TensorSet set, String name) {
        return set.get(name).values();
    }

    @Test
    void trainingChangesTheLastBlockAndTheHeadAndLeavesTheFrozenStemAsInTheFile() {
        float[] stemWeightInFile;
        try (TrainableTorchScript file = load(EncoderFineTuning.parse("last_block", "stem."))) {
            stemWeightInFile = file.values("stem.weight");
        }
        TrainableTorchScript backbone = load(LAST_BLOCK);
        try (MilModel model = MilModel.createFineTuning(HEAD, backbone, 42)) {
            TensorSet before = model.weights();
            assertThat(before.specs().stream().map(s -> s.name()).toList()).startsWith(
                    "encoder.backbone.block.0.weight", "encoder.backbone.block.0.bias", "encoder.0.weight");
            assertThat(before.specs().stream().map(s -> s.name())).noneMatch(n -> n.contains("stem"));
            assertThat(tensor(before, "encoder.backbone.block.0.weight")).containsExactly(
                    backbone.values("block.0.weight"));

            new LocalTrainer().train(model, bags(8, 1), new TrainingOptions(3, 1e-2, 0, 7));

            TensorSet after = model.weights();
            for (NamedTensor t : before.tensors()) {
                if (!t.name().startsWith("pooling.attention")) {
                    assertThat(tensor(after, t.name())).as(t.name()).isNotEqualTo(t.values());
                }
            }
            assertThat(backbone.values("stem.weight")).containsExactly(stemWeightInFile);
            // frozen, not merely left out of the optimiser: backpropagation never computes the stem's gradient
            assertThat(backbone.requiresGradient("stem.weight")).isFalse();
            assertThat(backbone.requiresGradient("stem.bias")).isFalse();
            assertThat(backbone.requiresGradient("block.0.weight")).isTrue();
            assertThat(backbone.values("block.0.weight")).containsExactly(
                    tensor(after, "encoder.backbone.block.0.weight"));
        }
    }

    @Test
    void theWeightsOfHeadAndBlockLoadIntoAFreshModelWhichThenScoresAlike() {
        List<Bag> bags = bags(6, 3);
        try (MilModel trained = MilModel.createFineTuning(HEAD, load(LAST_BLOCK), 42);
             MilModel fresh = MilModel.createFineTuning(HEAD, load(LAST_BLOCK), 42)) {
            new LocalTrainer().train(trained, bags, new TrainingOptions(2, 1e-2, 0, 7));
            assertThat(fresh.predictProbabilities(bags)).isNotEqualTo(trained.predictProbabilities(bags));
            fresh.setWeights(trained.weights());
            assertThat(fresh.weights()).isEqualTo(trained.weights());
            assertThat(fresh.predictProbabilities(bags)).containsExactly(trained.predictProbabilities(bags));
        }
    }

    @Test
    void theEncoderStaysInEvalModeWhileTrainingSoBatchNormKeepsTheFilesStatistics() {
        Path withBatchNorm = Path.of("src/test/resources/encoders/batchnorm-encoder.pt");
        try (TrainableTorchScript e = TrainableTorchScript.load(withBatchNorm, Device.cpu(), TILES,
                TileNormalisation.IMAGENET, LAST_BLOCK);
             ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu())) {
            // the batch norm's affine parameters train; its running statistics are buffers, not parameters
            assertThat(e.trainable()).containsOnlyKeys("block.0.weight", "block.0.bias", "block.1.weight",
                    "block.1.bias");
            Bag bag = bags(1, 9).get(0);
            ai.djl.ndarray.NDArray tiles = m.create(bag.features(), new ai.djl.ndarray.types.Shape(bag.instances(),
                    TILES.dim()));
            float[] inference = e.features(tiles, false).toFloatArray();
            float[] training;
            try (ai.djl.training.GradientCollector c = m.getEngine().newGradientCollector()) {
                training = e.features(tiles, true).toFloatArray();
            }
            // in training mode the batch norm would normalise with these tiles' own statistics instead
            assertThat(training).containsExactly(inference);
        }
    }

    @Test
    void theDefaultBlockIsTheLastTopLevelChildAndAPrefixChoosesAnother() {
        try (TrainableTorchScript last = load(LAST_BLOCK);
             TrainableTorchScript stem = load(EncoderFineTuning.parse("last_block", "stem."))) {
            assertThat(last.trainable()).containsOnlyKeys("block.0.weight", "block.0.bias");
            assertThat(stem.trainable()).containsOnlyKeys("stem.weight", "stem.bias");
            assertThat(last.featureWidth()).isEqualTo(8);
        }
    }

    @Test
    void aPrefixThatMatchesNoParameterIsRefusedNamingTheOptionAndTheBlocksThereAre() {
        assertThatThrownBy(() -> load(EncoderFineTuning.parse("last_block", "layer4."))).isInstanceOf(
                        EncoderException.class).hasMessageContaining("two-block-encoder.pt")
                .hasMessageContaining("encoder_trainable_prefix 'layer4.' matches none of its 4 parameters")
                .hasMessageContaining("[stem., block.]").hasMessageContaining("e.g. 'block.'");
    }

    @Test
    void badFineTuningSettingsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> EncoderFineTuning.parse("all", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder_fine_tune must be none").hasMessageContaining("'all'");
        assertThatThrownBy(() -> EncoderFineTuning.parse("none", "block.")).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("encoder_trainable_prefix 'block.' is set but "
                + "encoder_fine_tune is none");
        assertThat(EncoderFineTuning.parse(null, " ")).isEqualTo(EncoderFineTuning.NONE);
        assertThat(EncoderFineTuning.parse("last_block", "").trainablePrefix()).isEqualTo(Optional.empty());
    }

    @Test
    void aHeadWhoseInputIsNotTheEncodersFeatureWidthIsRefused() {
        ModelSpec wide = new ModelSpec(Architecture.ATTENTION, 512, 16, 8);
        assertThatThrownBy(() -> MilModel.createFineTuning(wide, load(LAST_BLOCK), 1)).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("input_dim = its 8 features per tile");
    }
}
