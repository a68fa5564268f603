package org.fedmil.mil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file written from its tensor bytes as they arrive is the file ModelFile.write makes, or nothing. */
class ModelFileWriterTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 6, 5, 3);

    @TempDir
    Path dir;

    private static TensorSet weights(long seed) {
        Random rng = new Random(seed);
        List<NamedTensor> out = new java.util.ArrayList<>();
        for (TensorSpec s : ModelSize.tensorsOf(SPEC)) {
            float[] v = new float[(int) s.elementCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextGaussian();
            }
            out.add(new NamedTensor(s.name(), s.shape(), v));
        }
        return new TensorSet(out);
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model_version", "4");
        m.put("saved_at", "2026-12-07T21:00:00Z");
        return m;
    }

    /** Writes {@code bytes} to a writer for {@code file} in pieces of 5 bytes, as a download hands them over. */
    private static ModelFileWriter streamed(Path file, TensorSet w, byte[] bytes, byte[] announcedSha) {
        ModelFileWriter writer = ModelFileWriter.open(file, SPEC, w.specs(), announcedSha, metadata());
        for (int at = 0; at < bytes.length; at += 5) {
            writer.write(ByteBuffer.wrap(bytes, at, Math.min(5, bytes.length - at)).asReadOnlyBuffer());
        }
        return writer;
    }

    @Test
    void aFileWrittenFromArrivingBytesIsByteForByteTheOneModelFileWriteMakes() throws IOException {
        TensorSet w = weights(1);
        byte[] bytes = TensorCodec.encode(w);
        Path streamedFile = dir.resolve("streamed.fedmil");
        Path whole = dir.resolve("whole.fedmil");

        try (ModelFileWriter writer = streamed(streamedFile, w, bytes, Sha256.of(bytes))) {
            writer.commit(w);
        }
        ModelFile.write(whole, SPEC, w, metadata());

        assertThat(Files.readAllBytes(streamedFile)).isEqualTo(Files.readAllBytes(whole));
        assertThat(ModelFile.read(streamedFile).weights()).isEqualTo(w);
        assertThat(ModelFile.read(streamedFile).metadata()).containsExactlyEntriesOf(metadata());
    }

    @Test
    void bytesThatDoNotHashToTheAnnouncedShaLeaveTheOldFileAndNoTempFile() throws IOException {
        TensorSet old = weights(2);
        Path file = dir.resolve("global-model.fedmil");
        ModelFile.write(file, SPEC, old, metadata());
        byte[] before = Files.readAllBytes(file);
        TensorSet w = weights(3);
        byte[] bytes = TensorCodec.encode(w);
        byte[] announced = Sha256.of(bytes);
        bytes[17] ^= 1;

        ModelFileWriter writer = streamed(file, w, bytes, announced);

        assertThatThrownBy(() -> writer.commit(w)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not the announced " + Sha256.hex(announced));
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertOnlyFile(file);
    }

    @Test
    void aTornDownloadLeavesTheOldFileAndNoTempFile() throws IOException {
        TensorSet old = weights(4);
        Path file = dir.resolve("global-model.fedmil");
        ModelFile.write(file, SPEC, old, metadata());
        byte[] before = Files.readAllBytes(file);
        TensorSet w = weights(5);
        byte[] bytes = TensorCodec.encode(w);

        ModelFileWriter writer = ModelFileWriter.open(file, SPEC, w.specs(), Sha256.of(bytes), metadata());
        writer.write(ByteBuffer.wrap(bytes, 0, bytes.length / 2));
        assertThatThrownBy(() -> writer.commit(w)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("only " + bytes.length / 2 + " of " + bytes.length);
        ModelFileWriter abandoned = ModelFileWriter.open(file, SPEC, w.specs(), Sha256.of(bytes), metadata());
        abandoned.write(ByteBuffer.wrap(bytes, 0, 8));
        abandoned.close();

        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertOnlyFile(file);
    }

    @Test
    void weightsOfAnotherModelAreNotCommitted() throws IOException {
        TensorSet w = weights(6);
        byte[] bytes = TensorCodec.encode(w);
        Path file = dir.resolve("m.fedmil");
        ModelFileWriter writer = streamed(file, w, bytes, Sha256.of(bytes));
        TensorSet renamed = new TensorSet(w.tensors().stream()
                .map(t -> new NamedTensor("x." + t.name(), t.shape(), t.values())).toList());

        assertThatThrownBy(() -> writer.commit(renamed)).isInstanceOf(IllegalArgumentException.class);
        assertThat(file).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    private void assertOnlyFile(Path file) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }
}
