package org.fedmil.mil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderException;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file whose encoder block was fine-tuned: it records the block and is rebuilt through the encoder file. */
class FineTunedModelFileTest {

    private static final Path TWO_BLOCK = Path.of("src/test/resources/encoders/two-block-encoder.pt");
    private static final Path TINY = Path.of("src/test/resources/encoders/tiny-encoder.pt");
    private static final ModelSpec HEAD = new ModelSpec(Architecture.ATTENTION, 8, 8, 4);
    private static final FineTunedBlock BLOCK = new FineTunedBlock(TorchScriptEncoder.sha256(TWO_BLOCK), "block.",
            new TileFormat(3, 16), TileNormalisation.IMAGENET);

    @TempDir
    Path dir;

    /** The model's weights with every block value set to {@code v}. */
    private static TensorSet withBlock(TensorSet weights, float v) {
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : weights.tensors()) {
            float[] values = t.values().clone();
            if (t.name().startsWith(MilModel.BACKBONE_PREFIX)) {
                java.util.Arrays.fill(values, v);
            }
            out.add(new NamedTensor(t.name(), t.shape(), values));
        }
        return new TensorSet(out);
    }

    @Test
    void theBlockTravelsInTheMetadataAndTheRebuiltModelUsesTheFilesBlockWeights() {
        Path file = dir.resolve("m.fedmil");
        TensorSet weights;
        try (MilModel m = BLOCK.model(HEAD, TWO_BLOCK, Device.cpu(), 3)) {
            weights = withBlock(m.weights(), 0.05f);
        }
        ModelFile.write(file, HEAD, weights, BLOCK.metadata());

        ModelFile read = ModelFile.read(file);
        assertThat(read.fineTunedBlock()).contains(BLOCK);
        assertThat(read.weights().specs().get(0).name()).startsWith(MilModel.BACKBONE_PREFIX);
        try (MilModel rebuilt = read.newModel(Device.cpu(), TWO_BLOCK)) {
            assertThat(rebuilt.weights().get(MilModel.BACKBONE_PREFIX + "block.0.weight").values())
                    .containsOnly(0.05f);
        }
    }

    @Test
    void withoutTheEncoderOrWithAnotherOneTheModelIsNotBuiltAndTheErrorSaysWhichFileIsNeeded() {
        Path file = dir.resolve("m.fedmil");
        try (MilModel m = BLOCK.model(HEAD, TWO_BLOCK, Device.cpu(), 3)) {
            ModelFile.write(file, HEAD, m.weights(), BLOCK.metadata());
        }
        ModelFile read = ModelFile.read(file);
        assertThatThrownBy(() -> read.newModel(Device.cpu())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("block 'block.'").hasMessageContaining("--encoder FILE");
        assertThatThrownBy(() -> read.newModel(Device.cpu(), TINY)).isInstanceOf(EncoderException.class)
                .hasMessageContaining(TorchScriptEncoder.sha256(TINY))
                .hasMessageContaining(BLOCK.encoderSha256());
    }

    @Test
    void aFileThatRecordsABlockButHoldsNoBlockTensorsIsRefused() {
        TensorSet headOnly = new TensorSet(ModelSize.tensorsOf(HEAD).stream()
                .map(s -> new NamedTensor(s.name(), s.shape(), new float[(int) s.elementCount()])).toList());
        assertThatThrownBy(() -> ModelFile.write(dir.resolve("m.fedmil"), HEAD, headOnly, BLOCK.metadata()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(MilModel.BACKBONE_PREFIX);
        Map<String, String> partial = new java.util.LinkedHashMap<>(BLOCK.metadata());
        partial.remove(FineTunedBlock.META_SHA256);
        assertThatThrownBy(() -> FineTunedBlock.fromMetadata(partial)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(FineTunedBlock.META_SHA256);
    }
}
