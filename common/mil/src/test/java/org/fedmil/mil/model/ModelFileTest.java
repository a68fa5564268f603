package org.fedmil.mil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {

    private static final ModelSpec MLP = new ModelSpec(Architecture.ATTENTION, 6, 5, 3);
    private static final ModelSpec CNN = ModelSpec.cnn(Architecture.ATTENTION, 3, 27, 16, 8);

    @TempDir
    Path dir;

    private static TensorSet weightsOf(ModelSpec spec, long seed) {
        try (MilModel m = MilModel.create(spec, Device.cpu(), seed)) {
            return m.weights();
        }
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("federation_id", "colon-2026");
        m.put("model_version", "3");
        m.put("note", "ünïcode ✓ and \"quotes\"");
        return m;
    }

    @Test
    void anMlpModelRoundTripsWithItsSpecWeightsAndMetadataInOrder() throws IOException {
        TensorSet weights = weightsOf(MLP, 3);
        Path file = dir.resolve("m.fedmil");

        ModelFile.write(file, MLP, weights, metadata());
        ModelFile read = ModelFile.read(file);

        assertThat(read.spec()).isEqualTo(MLP);
        assertThat(read.weights()).isEqualTo(weights);
        assertThat(read.metadata()).containsExactlyEntriesOf(metadata());
        assertThat(Files.readAllBytes(file)).startsWith("FEDMIL-MODEL\n".getBytes(StandardCharsets.US_ASCII));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no temp file is left behind").containsExactly(file);
        }
    }

    @Test
    void aCnnModelRoundTripsAndPredictsAsTheOriginal() {
        Bag bag = new Bag("tiles", 1, 4, CNN.inputDim(), LesionBags.generate(1, CNN.inputDim(), 4, 4, 9).bags()
                .get(0).features());
        Path file = dir.resolve("cnn.fedmil");
        float[] expected;
        try (MilModel original = MilModel.create(CNN, Device.cpu(), 5)) {
            expected = original.attentionWeights(bag);
            ModelFile.write(file, CNN, original.weights(), Map.of());
        }

        ModelFile read = ModelFile.read(file);

        assertThat(read.spec()).isEqualTo(CNN);
        assertThat(read.spec().readsTiles()).isTrue();
        assertThat(read.metadata()).isEmpty();
        try (MilModel restored = read.newModel(Device.cpu())) {
            assertThat(restored.attentionWeights(bag)).containsExactly(expected);
        }
    }

    @Test
    void theHeaderRecordsTheSha256OfTheWireBytesAsTheCoordinatorAnnouncesIt() throws IOException {
        TensorSet weights = weightsOf(MLP, 4);
        Path file = dir.resolve("m.fedmil");
        ModelFile.write(file, MLP, weights, Map.of());

        String header = headerOf(Files.readAllBytes(file));

        assertThat(header).contains("\"sha256\" : \"" + Sha256.hex(Sha256.of(TensorCodec.encode(weights))) + "\"")
                .contains("\"format_version\" : 2").contains("\"architecture\" : \"attention\"")
                .contains("\"encoder\" : \"mlp\"").contains("\"name\" : \"encoder.0.weight\"");
    }

    @Test
    void aTruncatedFileIsRefusedAsTruncated() throws IOException {
        Path file = dir.resolve("m.fedmil");
        ModelFile.write(file, MLP, weightsOf(MLP, 1), metadata());
        byte[] bytes = Files.readAllBytes(file);

        Path shortTensors = dir.resolve("short-tensors.fedmil");
        Files.write(shortTensors, Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> ModelFile.read(shortTensors)).isInstanceOf(ModelFileException.class)
                .hasMessageStartingWith(shortTensors + ": is truncated: its tensors need")
                .hasMessageContaining("copy the file again");

        Path shortHeader = dir.resolve("short-header.fedmil");
        Files.write(shortHeader, Arrays.copyOf(bytes, 40));
        assertThatThrownBy(() -> ModelFile.read(shortHeader)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("is truncated: the header announces");

        Path empty = dir.resolve("empty.fedmil");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> ModelFile.read(empty)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("is truncated: 0 bytes");
    }

    @Test
    void aFlippedByteInTheWeightsFailsTheSha256Check() throws IOException {
        Path file = dir.resolve("m.fedmil");
        ModelFile.write(file, MLP, weightsOf(MLP, 1), metadata());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 7] ^= 0x01;
        Files.write(file, bytes);

        assertThatThrownBy(() -> ModelFile.read(file)).isInstanceOf(ModelFileException.class)
                .hasMessageStartingWith(file + ": is corrupt: its tensor bytes hash to SHA-256")
                .hasMessageContaining("but the header records");
    }

    @Test
    void aFileWithoutTheMagicIsNotAModelFile() throws IOException {
        Path npy = dir.resolve("bag.npy");
        Files.write(npy, "\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f4'}".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> ModelFile.read(npy)).isInstanceOf(ModelFileException.class)
                .hasMessage(npy + ": is not a FedMIL model file: it does not start with 'FEDMIL-MODEL'");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.fedmil");

        assertThatThrownBy(() -> ModelFile.read(missing)).isInstanceOf(ModelFileException.class)
                .hasMessage(missing + ": no such model file");
    }

    @Test
    void tensorsThatDoNotFitTheSpecInTheHeaderAreRefused() throws IOException {
        // a well-formed file whose header says mean pooling, holding an attention model's tensors
        TensorSet attention = weightsOf(MLP, 1);
        Path file = dir.resolve("lying.fedmil");
        Files.write(file, handMade(1, "mean", attention));

        assertThatThrownBy(() -> ModelFile.read(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("its tensors do not fit its model spec mean/mlp(6) hidden 5")
                .hasMessageContaining("unexpected tensor 'attention.V.weight'");
    }

    @Test
    void aNewerFormatVersionAsksForAnUpgrade() throws IOException {
        Path file = dir.resolve("future.fedmil");
        Files.write(file, handMade(3, "attention", weightsOf(MLP, 1)));

        assertThatThrownBy(() -> ModelFile.read(file)).isInstanceOf(ModelFileException.class)
                .hasMessage(file + ": has format version 3 but this FedMIL reads version 2; upgrade FedMIL to read it");
    }

    @Test
    void aVersionOneFeatureModelIsStillRead() throws IOException {
        TensorSet weights = weightsOf(MLP, 1);
        Path file = dir.resolve("old.fedmil");
        Files.write(file, handMade(1, "attention", weights));

        assertThat(ModelFile.read(file).weights()).isEqualTo(weights);
    }

    @Test
    void aVersionOneTileModelIsRefusedBecauseTodaysCnnStandardisesItsInput() throws IOException {
        ModelSpec cnn = ModelSpec.cnn(Architecture.ATTENTION, 1, 8, 4, 3);
        Path file = dir.resolve("old-cnn.fedmil");
        ModelFile.write(file, cnn, weightsOf(cnn, 1), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        String header = headerOf(bytes);
        // the same header but version 1; "1" and "2" have the same length, so offsets stay valid
        byte[] patched = header.replace("\"format_version\" : 2", "\"format_version\" : 1")
                .getBytes(StandardCharsets.UTF_8);
        System.arraycopy(patched, 0, bytes, 17, patched.length);
        Files.write(file, bytes);

        assertThatThrownBy(() -> ModelFile.read(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("format version 1").hasMessageContaining("Train it again");
    }

    @Test
    void writingWeightsOfAnotherSpecIsRefusedBeforeAnyFileExists() {
        Path file = dir.resolve("m.fedmil");
        TensorSet meanWeights = weightsOf(new ModelSpec(Architecture.MEAN, 6, 5, 3), 1);

        assertThatThrownBy(() -> ModelFile.write(file, MLP, meanWeights, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weights lack tensor");
        assertThat(file).doesNotExist();
    }

    /** A model file assembled by hand, to say things write() never would. */
    private static byte[] handMade(int formatVersion, String architecture, TensorSet weights) throws IOException {
        byte[] tensors = TensorCodec.encode(weights);
        StringBuilder list = new StringBuilder();
        for (var t : weights.specs()) {
            list.append(list.length() == 0 ? "" : ",").append("{\"name\":\"").append(t.name()).append("\",\"shape\":")
                    .append(Arrays.toString(t.shape())).append('}');
        }
        String header = "{\"format_version\":" + formatVersion + ",\"model\":{\"architecture\":\"" + architecture
                + "\",\"encoder\":\"mlp\",\"input_dim\":6,\"hidden_dim\":5,\"attention_dim\":3,\"channels\":0,"
                + "\"tile_size\":0},\"tensors\":[" + list + "],\"tensor_bytes\":" + tensors.length
                + ",\"sha256\":\"" + Sha256.hex(Sha256.of(tensors)) + "\",\"metadata\":{}}";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(ModelFile.MAGIC.getBytes(StandardCharsets.US_ASCII));
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        out.writeInt(h.length);
        out.write(h);
        out.write(tensors);
        return bytes.toByteArray();
    }

    private static String headerOf(byte[] file) {
        int length = java.nio.ByteBuffer.wrap(file, 13, 4).getInt();
        return new String(file, 17, length, StandardCharsets.UTF_8);
    }

    @Test
    void metadataMustBeText() {
        assertThatThrownBy(() -> new ModelFile(MLP, weightsOf(MLP, 1), java.util.Collections.singletonMap("k", null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("metadata value of 'k'");
        assertThat(List.of(ModelFile.EXTENSION)).containsExactly(".fedmil");
    }
}
